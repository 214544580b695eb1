// The store: what an eject needs beyond media and moves. The job an eject is for is recorded in
// each medium's history ("eject-requested", written with the job in one transaction), so that a
// queued eject runs after a restart and no schema change is needed.
#include "daemon/store/statement.hpp"

namespace ntms {

using namespace store_detail;

Expected<std::optional<MediumRecord>> Store::outside_medium(const std::string& barcode) {
    static constexpr const char* what = "find a medium outside the libraries";
    return run<std::optional<MediumRecord>>(
        what, false, [&]() -> Expected<std::optional<MediumRecord>> {
            if (barcode.empty())
                return std::optional<MediumRecord>();
            // The most recent one: a barcode reused after its first cartridge left for good is
            // the later cartridge. Gone is written into the statement (state = 3), so that the
            // partial index of Gone media (store_schema.cpp) serves it.
            static_assert(static_cast<uint32_t>(MediumState::Gone) == 3);
            Statement s(db_, path_, what, store_sql::outside_medium);
            s.bind_text(1, barcode);
            return first(s, read_medium);
        });
}

Expected<std::vector<Guid>> Store::open_ejects_of(const Guid& medium) {
    static constexpr const char* what = "find the ejects of a medium";
    return run<std::vector<Guid>>(what, false, [&]() -> Expected<std::vector<Guid>> {
        Statement s(db_, path_, what, store_sql::open_ejects_of);
        s.bind_guid(1, medium);
        s.bind_int(2, static_cast<uint32_t>(JobState::Queued));
        s.bind_int(3, static_cast<uint32_t>(JobState::InProcess));
        s.bind_int(4, static_cast<uint32_t>(JobState::Waiting));
        return collect(s, [](Statement& st) { return st.guid(0); });
    });
}

Expected<std::vector<Guid>> Store::media_of_job(const Guid& job) {
    static constexpr const char* what = "find the media of a job";
    return run<std::vector<Guid>>(what, false, [&]() -> Expected<std::vector<Guid>> {
        Statement s(db_, path_, what, store_sql::media_of_job);
        s.bind_guid(1, job);
        return collect(s, [](Statement& st) { return st.guid(0); });
    });
}

} // namespace ntms
