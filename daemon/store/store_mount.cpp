// The store: what a mount needs beyond media and moves. Which drive a mount job put a medium into,
// and the slot it came from, are in the medium's history ("mount", "dismount-deferred"), so that
// a mounted drive stays in use across restarts without a schema change. A cleaning cartridge's
// uses are counted from its history the same way.
#include "daemon/store/statement.hpp"

#include <iterator>

namespace ntms {

using namespace store_detail;

namespace {

Store::Mounted read_mounted(Statement& st) {
    Store::Mounted m;
    m.medium = st.guid(0);
    m.drive = st.element(1).value_or(0);
    m.released = st.text(2) == "dismount-deferred";
    m.job = st.guid(3);
    m.home = st.element(4);
    return m;
}

} // namespace

Expected<std::vector<Store::Mounted>> Store::mounted_media(const Guid& library) {
    static constexpr const char* what = "find the mounted media";
    return run<std::vector<Mounted>>(what, false, [&]() -> Expected<std::vector<Mounted>> {
        Statement s(db_, path_, what, store_sql::mounted_media);
        s.bind_guid(1, library);
        s.bind_int(2, static_cast<uint32_t>(MediumState::InLibrary));
        return collect(s, read_mounted);
    });
}

Expected<std::vector<Store::Mounted>> Store::mounted_media(const Guid& library,
                                                           const std::vector<uint16_t>& drives) {
    static constexpr const char* what = "find the mounted media";
    return run<std::vector<Mounted>>(what, false, [&]() -> Expected<std::vector<Mounted>> {
        std::vector<Mounted> out;
        for (uint16_t drive : drives) {
            Statement s(db_, path_, what, store_sql::mounted_in_drive);
            s.bind_guid(1, library);
            s.bind_int(2, static_cast<uint32_t>(MediumState::InLibrary));
            s.bind_int(3, drive);
            auto found = collect(s, read_mounted);
            if (!found)
                return found.error();
            std::move(found->begin(), found->end(), std::back_inserter(out));
        }
        return out;
    });
}

Expected<std::vector<Guid>> Store::open_jobs_of(const Guid& medium) {
    static constexpr const char* what = "find the open jobs of a medium";
    return run<std::vector<Guid>>(what, false, [&]() -> Expected<std::vector<Guid>> {
        Statement s(db_, path_, what, store_sql::open_jobs_of);
        s.bind_guid(1, medium);
        s.bind_int(2, static_cast<uint32_t>(JobState::Queued));
        s.bind_int(3, static_cast<uint32_t>(JobState::InProcess));
        s.bind_int(4, static_cast<uint32_t>(JobState::Waiting));
        return collect(s, [](Statement& st) { return st.guid(0); });
    });
}

Expected<std::map<Guid, uint32_t>> Store::cleanings(const Guid& library) {
    static constexpr const char* what = "count the cleanings";
    return run<std::map<Guid, uint32_t>>(what, false, [&]() -> Expected<std::map<Guid, uint32_t>> {
        Statement s(db_, path_, what, store_sql::cleanings_of_library);
        s.bind_guid(1, library);
        auto rows = collect(s, [](Statement& st) {
            return std::pair<Guid, uint32_t>(st.guid(0), static_cast<uint32_t>(st.integer(1)));
        });
        if (!rows)
            return rows.error();
        return std::map<Guid, uint32_t>(rows->begin(), rows->end());
    });
}

} // namespace ntms
