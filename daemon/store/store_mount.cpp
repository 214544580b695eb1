// The store: what a mount needs beyond media and moves. Which drive a mount job put a medium into,
// and the slot it came from, are in the medium's history ("mount", "dismount-deferred"), so that
// a mounted drive stays in use across restarts without a schema change.
#include "daemon/store/statement.hpp"

namespace ntms {

using namespace store_detail;

Expected<std::vector<Store::Mounted>> Store::mounted_media(const Guid& library) {
    static constexpr const char* what = "find the mounted media";
    return run<std::vector<Mounted>>(what, false, [&]() -> Expected<std::vector<Mounted>> {
        // The last row that records what happened (requests say what is to happen) decides.
        Statement s(db_, path_, what,
                    "SELECT m.guid, m.element, h.reason, h.job, "
                    "(SELECT r.from_element FROM media_history r WHERE r.medium = m.guid AND "
                    "r.reason = 'mount' ORDER BY r.id DESC LIMIT 1) "
                    "FROM media m JOIN media_history h ON h.id = (SELECT max(x.id) FROM "
                    "media_history x WHERE x.medium = m.guid AND x.reason NOT LIKE '%-requested') "
                    "WHERE m.library = ?1 AND m.state = ?2 AND m.element IS NOT NULL AND "
                    "h.reason IN ('mount', 'dismount-deferred') AND h.to_element = m.element "
                    "ORDER BY m.element");
        s.bind_guid(1, library);
        s.bind_int(2, static_cast<uint32_t>(MediumState::InLibrary));
        return collect(s, [](Statement& st) {
            Mounted m;
            m.medium = st.guid(0);
            m.drive = st.element(1).value_or(0);
            m.released = st.text(2) == "dismount-deferred";
            m.job = st.guid(3);
            m.home = st.element(4);
            return m;
        });
    });
}

Expected<std::vector<Guid>> Store::open_jobs_of(const Guid& medium) {
    static constexpr const char* what = "find the open jobs of a medium";
    return run<std::vector<Guid>>(what, false, [&]() -> Expected<std::vector<Guid>> {
        Statement s(db_, path_, what,
                    "SELECT DISTINCT h.job FROM media_history h JOIN jobs j ON j.guid = h.job "
                    "WHERE h.medium = ?1 AND h.reason LIKE '%-requested' AND j.state IN "
                    "(?2, ?3, ?4) ORDER BY h.job");
        s.bind_guid(1, medium);
        s.bind_int(2, static_cast<uint32_t>(JobState::Queued));
        s.bind_int(3, static_cast<uint32_t>(JobState::InProcess));
        s.bind_int(4, static_cast<uint32_t>(JobState::Waiting));
        return collect(s, [](Statement& st) { return st.guid(0); });
    });
}

} // namespace ntms
