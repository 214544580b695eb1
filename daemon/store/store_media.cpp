// The store: media, their history, and move intents.
#include "daemon/store/statement.hpp"

#include <algorithm>
#include <iterator>
#include <tuple>
#include <utility>
#include <vector>

namespace ntms {

using namespace store_detail;

// ---- Media

Expected<std::vector<MediumRecord>> Store::list_media(const Guid& library) {
    static constexpr const char* what = "list media";
    return run<std::vector<MediumRecord>>(
        what, false, [&]() -> Expected<std::vector<MediumRecord>> {
            // Counted first, so that the list is allocated once: a restart's 5,000 records
            // (88 bytes each) grew it 13 times, and each growth was fresh memory to fault in.
            Statement count(conn(), path_, what, store_sql::count_media);
            count.bind_guid(1, library);
            auto n = first(count, [](Statement& c) { return c.integer(0); });
            if (!n)
                return n.error();
            Statement s(conn(), path_, what, store_sql::list_media);
            s.bind_guid(1, library);
            auto media = collect(s, read_medium, static_cast<size_t>(n->value_or(0)));
            if (!media)
                return media;
            // The index gives the media without an element first; they are listed last.
            const auto placed = std::find_if(media->begin(), media->end(),
                                             [](const MediumRecord& m) { return m.element; });
            std::rotate(media->begin(), placed, media->end());
            return media;
        });
}

Expected<std::optional<MediumRecord>> Store::medium_at(const Guid& library, uint16_t element) {
    static constexpr const char* what = "read medium at element";
    return run<std::optional<MediumRecord>>(
        what, false, [&]() -> Expected<std::optional<MediumRecord>> {
            Statement s(conn(), path_, what, store_sql::medium_at);
            s.bind_guid(1, library);
            s.bind_int(2, element);
            return first(s, read_medium);
        });
}

Expected<std::optional<MediumRecord>> Store::get_medium(const Guid& id) {
    static constexpr const char* what = "read medium";
    return run<std::optional<MediumRecord>>(
        what, false, [&]() -> Expected<std::optional<MediumRecord>> {
            Statement s(conn(), path_, what, store_sql::get_medium);
            s.bind_guid(1, id);
            return first(s, read_medium);
        });
}

Expected<void> Store::put_medium(const MediumRecord& medium,
                                 const std::optional<MediumMove>& history) {
    static constexpr const char* what = "record medium";
    return run<void>(what, true, [&]() -> Expected<void> {
        if (history && !history->medium.is_null() && history->medium != medium.id)
            return fail(win32::InvalidParameter,
                        fmt::format("history row of medium {} given with medium {}",
                                    history->medium.str(), medium.id.str()));
        if (auto r = write_medium(conn(), path_, what, medium); !r)
            return r;
        if (!history)
            return {};
        MediumMove h = *history;
        h.medium = medium.id;
        return write_history(conn(), path_, what, h);
    });
}

Expected<void> Store::put_media(const std::vector<MediumChange>& changes) {
    static constexpr const char* what = "record media";
    // One savepoint for them all, not one each: 10,000 savepoints in one transaction cost
    // SQLite a walk of its statement journal each.
    return run<void>(what, true, [&]() -> Expected<void> {
        for (const auto& [medium, history] : changes)
            if (history && !history->medium.is_null() && history->medium != medium.id)
                return fail(win32::InvalidParameter,
                            fmt::format("history row of medium {} given with medium {}",
                                        history->medium.str(), medium.id.str()));
        // The libraries' keys, looked up once each (an inventory's records are of one).
        std::vector<std::pair<Guid, int64_t>> keys;
        auto key_of = [&](const Guid& library) -> Expected<int64_t> {
            for (const auto& [guid, key] : keys)
                if (guid == library)
                    return key;
            auto key = library_key(conn(), path_, what, library);
            if (key)
                keys.emplace_back(library, *key);
            return key;
        };
        // The records in order, 64 a statement (SQLite applies a multi-row INSERT's rows one
        // after the other, so that a record lifted off its element earlier in the list has left
        // it when another takes it), the rest one a statement; then the history rows the same
        // way, whose media all exist by then.
        // A history row names its medium by the medium's integer key: found by its GUID, each
        // history row cost a lookup in media's GUID index (5,000 rows: 5.2 ms with the lookup,
        // 2.7 ms by key, in a bare SQLite program of the same schema). SQLite gives a new row the
        // largest key + 1, so a batch whose 64 records were all new took the 64 keys after the
        // largest one before it, in order: so it was when the connection's last new key is that
        // largest one + 64. (Asking the batch to return its keys cost 2.3 ms for 5,000 records.)
        // In any other batch (some records were there and were updated), and for a record
        // written alone (the last few), the key stays 0 and its history row looks it up.
        constexpr size_t batch = store_sql::media_batch_rows;
        std::vector<int64_t> medium_keys(changes.size(), 0);
        int64_t largest = -1; // the largest key before the next batch; -1: to be read
        size_t i = 0;
        for (; i + batch <= changes.size(); i += batch) {
            if (largest < 0) {
                Statement last(conn(), path_, what, store_sql::largest_medium_key);
                auto row = last.step();
                if (!row)
                    return row.error();
                largest = *row ? last.integer(0) : 0;
            }
            Statement s(conn(), path_, what, store_sql::upsert_media_batch);
            for (size_t k = 0; k < batch; ++k) {
                const MediumRecord& m = changes[i + k].first;
                auto key = key_of(m.library);
                if (!key)
                    return key.error();
                bind_medium(s, static_cast<int>(7 * k + 1), m, *key);
            }
            // 0 unless the batch inserts: not the key of some earlier insert into any table.
            sqlite3_set_last_insert_rowid(conn(), 0);
            if (auto r = s.run(); !r)
                return r;
            const int64_t last_new = sqlite3_last_insert_rowid(conn());
            if (last_new != largest + static_cast<int64_t>(batch)) {
                largest = -1; // read again before the next batch
                continue;
            }
            for (size_t k = 0; k < batch; ++k)
                medium_keys[i + k] = largest + 1 + static_cast<int64_t>(k);
            largest = last_new;
        }
        for (; i < changes.size(); ++i)
            if (auto r = write_medium(conn(), path_, what, changes[i].first); !r)
                return r;
        std::vector<MediumMove> rows;
        std::vector<int64_t> row_keys;
        rows.reserve(changes.size());
        row_keys.reserve(changes.size());
        for (size_t c = 0; c < changes.size(); ++c)
            if (const auto& history = changes[c].second) {
                rows.push_back(*history);
                rows.back().medium = changes[c].first.id;
                row_keys.push_back(medium_keys[c]);
            }
        // The next batch rows by key, when each has one.
        auto keyed = [&](size_t k) {
            if (k + batch > rows.size())
                return false;
            for (size_t j = k; j < k + batch; ++j)
                if (row_keys[j] == 0)
                    return false;
            return true;
        };
        for (size_t k = 0; k < rows.size();) {
            if (!keyed(k)) {
                if (auto r = write_history(conn(), path_, what, rows[k]); !r)
                    return r;
                ++k;
                continue;
            }
            Statement s(conn(), path_, what, store_sql::insert_history_batch);
            for (size_t j = 0; j < batch; ++j)
                bind_history(s, static_cast<int>(6 * j + 1), rows[k + j], row_keys[k + j]);
            if (auto r = s.run(); !r)
                return r;
            k += batch;
        }
        return {};
    });
}

Expected<std::vector<MediumMove>> Store::history(const Guid& medium) {
    static constexpr const char* what = "read medium history";
    return run<std::vector<MediumMove>>(what, false, [&]() -> Expected<std::vector<MediumMove>> {
        Statement s(conn(), path_, what, store_sql::history_of_medium);
        s.bind_guid(1, medium);
        return collect(s, read_move);
    });
}

Expected<std::vector<MediumMove>> Store::moves_of_job(const Guid& job) {
    static constexpr const char* what = "read a job's moves";
    return run<std::vector<MediumMove>>(what, false, [&]() -> Expected<std::vector<MediumMove>> {
        Statement s(conn(), path_, what, store_sql::history_of_job);
        s.bind_guid(1, job);
        return collect(s, read_move);
    });
}

// ---- Moves

Expected<int64_t> Store::record_intent(const MoveIntent& intent) {
    static constexpr const char* what = "record move intent";
    return run<int64_t>(what, true, [&]() -> Expected<int64_t> {
        Statement s(conn(), path_, what, store_sql::insert_intent);
        s.bind_guid(1, intent.job);
        s.bind_guid(2, intent.library);
        s.bind_guid(3, intent.medium);
        s.bind_optional_text(4, intent.barcode);
        s.bind_int(5, intent.source);
        s.bind_int(6, intent.destination);
        s.bind_int(7, intent.created);
        if (auto r = s.run(); !r)
            return r.error();
        return sqlite3_last_insert_rowid(conn());
    });
}

Expected<void> Store::complete_move(const MoveIntent& intent, const MediumRecord& medium) {
    static constexpr const char* what = "complete move";
    return run<void>(what, true, [&]() -> Expected<void> {
        if (medium.id != intent.medium || medium.library != intent.library)
            return fail(win32::InvalidParameter,
                        fmt::format("move intent {} is for medium {} of library {}, not {} of {}",
                                    intent.id, intent.medium.str(), intent.library.str(),
                                    medium.id.str(), medium.library.str()));
        // The job's count first, so that a failure in any later step is seen to undo it too. The
        // history names the move by the job's operation (inject, eject, ...), whichever job it was.
        std::string operation;
        {
            Statement s(conn(), path_, what, store_sql::count_moved);
            s.bind_guid(1, intent.job);
            auto op = first(s, [](Statement& row) { return row.text(0); });
            if (!op)
                return op.error();
            if (!*op)
                return fail(win32::ObjectNotFound,
                            fmt::format("complete move: no job {}", intent.job.str()));
            operation = std::move(**op);
        }
        // A mount's or a dismount's move keeps its meaning (the drive in use, the slot it came
        // from) when a restart completes it: a mount moves its own media into drives, and may
        // first take a released cartridge out of the drive it needs, which is a dismount.
        std::string reason = operation;
        if (operation == operation_name(OperationKind::Mount)) {
            Statement r(conn(), path_, what, store_sql::mount_requested_by_job);
            r.bind_guid(1, intent.job);
            r.bind_guid(2, intent.medium);
            auto asked = first(r, [](Statement& st) { return st.integer(0); });
            if (!asked)
                return asked.error();
            reason = *asked ? "mount" : "dismount";
        } else if (operation == operation_name(OperationKind::CleanDrive)) {
            // A cleaning job loads one cleaner and takes it back: the second move is the return.
            Statement r(conn(), path_, what, store_sql::moved_by_job_as);
            r.bind_guid(1, intent.job);
            r.bind_guid(2, intent.medium);
            r.bind_text(3, operation);
            auto loaded = first(r, [](Statement& st) { return st.integer(0); });
            if (!loaded)
                return loaded.error();
            if (*loaded)
                reason = "cleaned";
        }
        if (auto r = write_medium(conn(), path_, what, medium); !r)
            return r;
        MediumMove h;
        h.medium = medium.id;
        h.job = intent.job;
        h.from = intent.source;
        h.to = intent.destination;
        h.time = medium.updated != 0 ? medium.updated : now_usec();
        h.reason = reason;
        if (auto r = write_history(conn(), path_, what, h); !r)
            return r;
        // Only the intent as recorded: a stale or altered copy must not complete a move.
        Statement s(conn(), path_, what, store_sql::complete_intent);
        s.bind_int(1, intent.id);
        s.bind_guid(2, intent.job);
        s.bind_guid(3, intent.medium);
        s.bind_int(4, intent.source);
        s.bind_int(5, intent.destination);
        if (auto r = s.run(); !r)
            return r;
        if (s.changes() != 1)
            return fail(win32::ObjectNotFound,
                        fmt::format("move intent {} ({} -> {} of job {}) is not pending", intent.id,
                                    intent.source, intent.destination, intent.job.str()));
        return {};
    });
}

Expected<void> Store::drop_intent(int64_t id) {
    static constexpr const char* what = "drop move intent";
    return run<void>(what, true, [&]() -> Expected<void> {
        Statement s(conn(), path_, what, store_sql::drop_intent);
        s.bind_int(1, id);
        return s.run();
    });
}

Expected<std::vector<MoveIntent>> Store::pending_intents(const Guid& library) {
    static constexpr const char* what = "list move intents";
    return run<std::vector<MoveIntent>>(what, false, [&]() -> Expected<std::vector<MoveIntent>> {
        Statement s(conn(), path_, what, store_sql::pending_intents);
        s.bind_guid(1, library);
        return collect(s, read_intent);
    });
}

} // namespace ntms
