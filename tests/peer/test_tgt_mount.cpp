// MountNtmsMedia and DismountNtmsMedia against tgt's changer and tape LUs over iSCSI. tgt binds
// each drive element to a tape LU; when the changer moves a cartridge into a drive, tgt loads the
// tape file named by the barcode from the changer's media_home into that LU, and a move out of the
// drive unloads it (tgt's drives never refuse the move: its LOAD UNLOAD is a START STOP UNIT that
// does nothing, so no unload is needed first). A block is written to the mounted tape and read
// back with SSC commands through libiscsi; two mounts for two drives run at once; a mount queued
// behind an inject waits until the operator has served the inject, as the job engine runs one job
// at a time per library and a waiting inject holds the robot. An operator's inject while a backup
// holds a drive (its cartridge mounted, a block written) completes beside it: afterwards the
// catalogue and the changer hold the same cartridges, the injected one in a slot, the mounted one
// home again, none lost and none twice.
#include "daemon/library/drives.hpp"
#include "daemon/store/store.hpp"
#include "tgt_domain.hpp"

#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <gtest/gtest.h>
#include <set>
#include <sstream>
#include <thread>
#include <unistd.h>

using namespace ntms;
using sgio::Direction;
using sgio::ElementType;

namespace {

constexpr uint32_t specific_drive = 0x10;

class TgtMount : public peer::TgtDomainTest {
protected:
    // A tape file for each barcode in the changer's media_home, as tgtimg makes them.
    void make_tapes(const std::vector<std::string>& barcodes) {
        std::string tgtimg = "tgtimg";
        for (const char* d : {"/usr/sbin/tgtimg", "/sbin/tgtimg"})
            if (::access(d, X_OK) == 0)
                tgtimg = d;
        for (const auto& b : barcodes) {
            const std::string cmd = fmt::format(
                "{} --op new --device-type tape --barcode {} --size 1 --type data --file {}/{} "
                ">/dev/null",
                tgtimg, b, harness_.dir(), b);
            ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
        }
    }
    std::optional<uint16_t> element_of(const std::string& barcode) {
        return medium(barcode).element;
    }
    Expected<Guid> mount(const std::string& barcode, std::optional<uint16_t> drive = {}) {
        std::vector<std::string> drives;
        if (drive)
            drives.push_back(drive_id(lib(), *drive).str());
        return manager_->mount({medium(barcode).id.str()}, drives, drive ? specific_drive : 0, 0,
                               MountOptions{}, Caller::root());
    }
    Expected<Guid> dismount(const std::string& barcode) {
        return manager_->dismount({medium(barcode).id.str()}, 0, MountOptions{}, Caller::root());
    }
    JobRecord final_of(const Expected<Guid>& job) {
        EXPECT_TRUE(job) << job.error().message;
        return job ? events_.wait_final(*job) : JobRecord{};
    }
    // The iSCSI URL of the tape LU bound to drive number `n` (the harness binds LUN n + 1).
    std::string tape_url(unsigned n) {
        const auto& l = harness_.library();
        return fmt::format("iscsi://127.0.0.1:{}/{}/{}", l.port, l.iqn, n + 1);
    }
    // What tgtd said, for a failure's message.
    std::string tgtd_log() {
        std::ifstream in(harness_.dir() + "/tgtd.log");
        std::stringstream all;
        all << in.rdbuf();
        const std::string text = all.str();
        return text.size() > 4000 ? text.substr(text.size() - 4000) : text;
    }
    // One SSC command; the unit attention of a new session is answered by asking again.
    static sgio::CommandResult ssc(sgio::Transport& t, std::vector<uint8_t> cdb, Direction dir,
                                   std::span<uint8_t> data = {}) {
        sgio::CommandResult last;
        for (int i = 0; i < 5; ++i) {
            auto r = t.execute(cdb, dir, data, std::chrono::seconds(30));
            EXPECT_TRUE(r) << r.error().message;
            if (!r)
                return {};
            last = *r;
            if (last.good() || last.sense.key != 0x06)
                break;
        }
        return last;
    }
    // The barcodes of the cartridges in library tgt: as the catalogue has them (media in a slot,
    // drive or port), and as the changer's element status reports them. Multisets: a cartridge
    // counted twice shows.
    std::multiset<std::string> catalogue() {
        std::multiset<std::string> out;
        auto db = Store::open(config().database);
        EXPECT_TRUE(db);
        if (!db)
            return out;
        auto media = (*db)->list_media(lib());
        EXPECT_TRUE(media);
        if (media)
            for (const auto& m : *media)
                if (m.element && m.state != MediumState::Gone)
                    out.insert(m.barcode);
        return out;
    }
    std::multiset<std::string> changer() {
        std::multiset<std::string> out;
        for (auto t : {ElementType::Storage, ElementType::DataTransfer, ElementType::ImportExport})
            for (const auto& e : device(t))
                if (e.full)
                    out.insert(e.primary_tag);
        return out;
    }
    // The cartridge's slot: the catalogue has it in a storage slot, the changer reports it there.
    std::optional<uint16_t> expect_in_slot(const std::string& barcode) {
        const MediumRecord m = medium(barcode);
        EXPECT_TRUE(m.element) << barcode;
        if (!m.element)
            return std::nullopt;
        const auto& l = harness_.library();
        EXPECT_EQ(m.state, MediumState::InLibrary) << barcode;
        EXPECT_TRUE(*m.element >= l.storage_first && *m.element < l.storage_first + l.slots)
            << barcode << " is at element " << *m.element << ", no storage slot";
        bool there = false;
        for (const auto& e : device(ElementType::Storage))
            there = there || (e.address == *m.element && e.full && e.primary_tag == barcode);
        EXPECT_TRUE(there) << "the changer has no " << barcode << " in slot " << *m.element;
        return m.element;
    }
    // The operator's side of an inject: waits until the job asks, puts the cartridge into the
    // port; the job's end.
    JobRecord serve_inject(const Expected<Guid>& job, const std::string& barcode) {
        EXPECT_TRUE(job) << job.error().message;
        if (!job)
            return {};
        events_.wait_state(*job, JobState::Waiting);
        EXPECT_TRUE(harness_.insert(harness_.library().ie_first, barcode));
        return events_.wait_final(*job);
    }
    // What an inject beside a held drive must leave: the new cartridge in a storage slot in the
    // catalogue and in the changer, the mounted cartridge `held` back in its home slot once
    // dismounted, one cartridge more than
    // `before`, and the catalogue and the changer agreeing on every cartridge.
    void expect_nothing_lost(const std::multiset<std::string>& before, const std::string& held,
                             uint16_t home, const std::string& injected) {
        const auto in = expect_in_slot(injected);
        const auto back = expect_in_slot(held);
        ASSERT_TRUE(in && back);
        // The inject passes over the home of a loaded drive while another slot is free.
        EXPECT_NE(*in, home) << "the inject took the mounted cartridge's slot";
        EXPECT_EQ(*back, home) << "back in its home slot";
        for (const auto& d : device(ElementType::DataTransfer))
            EXPECT_FALSE(d.full) << "drive " << d.address;
        std::multiset<std::string> after = before;
        after.insert(injected);
        EXPECT_EQ(catalogue(), after);
        EXPECT_EQ(changer(), after);
        EXPECT_EQ(changer().size(), before.size() + 1);
    }
    // Writes one 512-byte block in variable-block mode (as Bacula and Bareos write; Debian 12's
    // tgt fails a fixed-block WRITE(6) with 3/0C/00 without writing) and a filemark from the
    // start of the tape, rewinds and reads the block back.
    void write_and_read_back(sgio::Transport& t, std::vector<uint8_t> block) {
        EXPECT_TRUE(ssc(t, {0x00, 0, 0, 0, 0, 0}, Direction::None).good()) << "TEST UNIT READY";
        EXPECT_TRUE(ssc(t, {0x01, 0, 0, 0, 0, 0}, Direction::None).good()) << "REWIND";
        const auto wrote = ssc(t, {0x0A, 0x00, 0, 0x02, 0, 0}, Direction::ToDevice, block);
        EXPECT_TRUE(wrote.good()) << "WRITE(6): sense " << int(wrote.sense.key) << "/"
                                  << int(wrote.sense.asc) << "/" << int(wrote.sense.ascq) << "\n"
                                  << tgtd_log();
        EXPECT_TRUE(ssc(t, {0x10, 0, 0, 0, 1, 0}, Direction::None).good()) << "WRITE FILEMARKS";
        EXPECT_TRUE(ssc(t, {0x01, 0, 0, 0, 0, 0}, Direction::None).good()) << "REWIND";
        std::vector<uint8_t> back(512);
        const auto read = ssc(t, {0x08, 0x00, 0, 0x02, 0, 0}, Direction::FromDevice, back);
        EXPECT_TRUE(read.good()) << "READ(6): sense " << int(read.sense.key) << "/"
                                 << int(read.sense.asc) << "/" << int(read.sense.ascq);
        EXPECT_EQ(back, block);
    }
};

} // namespace

TEST_F(TgtMount, MountWriteAndReadABlockThroughTheTapeLuAndDismount) {
    start_tgt(1, 20, 4);
    ASSERT_NO_FATAL_FAILURE(make_tapes({"S00002L8"}));
    ASSERT_TRUE(start_manager());
    const uint16_t first = harness_.library().drive_first;
    const JobRecord mounted = final_of(mount("S00002L8", first));
    ASSERT_EQ(mounted.state, JobState::Passed) << mounted.error_message;
    EXPECT_EQ(element_of("S00002L8"), std::optional<uint16_t>(first));
    auto drives = device(ElementType::DataTransfer);
    ASSERT_FALSE(drives.empty());
    EXPECT_TRUE(drives[0].full);
    EXPECT_EQ(drives[0].primary_tag, "S00002L8");
    EXPECT_EQ(drives[0].source, harness_.library().storage_first + 1) << "tgt's source address";
    auto snap = manager_->library(lib(), Caller::root());
    ASSERT_TRUE(snap);
    EXPECT_EQ(snap->drive_list[0].home, harness_.library().storage_first + 1);

    // The tape LU now holds the cartridge's tape: a block written reads back.
    auto tape = sgio::IscsiTransport::open(tape_url(0));
    ASSERT_TRUE(tape) << tape.error().message;
    sgio::Transport& t = **tape;
    std::vector<uint8_t> block(512);
    for (size_t i = 0; i < block.size(); ++i)
        block[i] = static_cast<uint8_t>(i * 7 + 3);
    write_and_read_back(t, block);
    tape->reset();

    const JobRecord off = final_of(dismount("S00002L8"));
    ASSERT_EQ(off.state, JobState::Passed) << off.error_message;
    EXPECT_EQ(element_of("S00002L8"), std::optional<uint16_t>(harness_.library().storage_first + 1))
        << "back in its home slot";
    EXPECT_FALSE(device(ElementType::DataTransfer)[0].full);
    // What was written stayed on the tape file: mounted again, the block reads back.
    ASSERT_EQ(final_of(mount("S00002L8", first + 1)).state, JobState::Passed);
    auto again = sgio::IscsiTransport::open(tape_url(1));
    ASSERT_TRUE(again);
    EXPECT_TRUE(ssc(**again, {0x01, 0, 0, 0, 0, 0}, Direction::None).good());
    std::vector<uint8_t> later(512);
    EXPECT_TRUE(ssc(**again, {0x08, 0x00, 0, 0x02, 0, 0}, Direction::FromDevice, later).good());
    EXPECT_EQ(later, block);
}

TEST_F(TgtMount, TwoMountsForTwoDrivesAtOnce) {
    start_tgt(1, 20, 4);
    ASSERT_NO_FATAL_FAILURE(make_tapes({"S00001L8", "S00003L8"}));
    ASSERT_TRUE(start_manager());
    // Submitted together: the library's queue runs them one after the other, each to a drive.
    auto a = mount("S00003L8");
    auto b = mount("S00001L8");
    const JobRecord da = final_of(a), db = final_of(b);
    ASSERT_EQ(da.state, JobState::Passed) << da.error_message;
    ASSERT_EQ(db.state, JobState::Passed) << db.error_message;
    const uint16_t first = harness_.library().drive_first;
    const auto at_a = element_of("S00003L8"), at_b = element_of("S00001L8");
    ASSERT_TRUE(at_a && at_b);
    EXPECT_NE(*at_a, *at_b);
    EXPECT_TRUE(*at_a == first || *at_a == first + 1);
    EXPECT_TRUE(*at_b == first || *at_b == first + 1);
    auto drives = device(ElementType::DataTransfer);
    ASSERT_EQ(drives.size(), 2u);
    EXPECT_TRUE(drives[0].full && drives[1].full);
    // Each drive's home is the slot its cartridge came from, though loaded in descending order.
    auto snap = manager_->library(lib(), Caller::root());
    ASSERT_TRUE(snap);
    for (const auto& d : snap->drive_list) {
        EXPECT_TRUE(d.in_use);
        EXPECT_EQ(d.home, d.barcode == "S00003L8" ? harness_.library().storage_first + 2
                                                  : harness_.library().storage_first)
            << d.barcode;
    }
    // Both tape LUs are loaded.
    for (unsigned n = 0; n < 2; ++n) {
        auto tape = sgio::IscsiTransport::open(tape_url(n));
        ASSERT_TRUE(tape);
        EXPECT_TRUE(ssc(**tape, {0x00, 0, 0, 0, 0, 0}, Direction::None).good()) << "drive " << n;
    }
    // And both dismounts, submitted together, take each home.
    auto c = dismount("S00003L8");
    auto d = dismount("S00001L8");
    EXPECT_EQ(final_of(c).state, JobState::Passed);
    EXPECT_EQ(final_of(d).state, JobState::Passed);
    EXPECT_EQ(element_of("S00003L8"),
              std::optional<uint16_t>(harness_.library().storage_first + 2));
    EXPECT_EQ(element_of("S00001L8"), std::optional<uint16_t>(harness_.library().storage_first));
}

TEST_F(TgtMount, AMountQueuedBehindAnInjectWaitsForTheOperator) {
    start_tgt(1, 20, 4);
    ASSERT_NO_FATAL_FAILURE(make_tapes({"S00001L8"}));
    ASSERT_TRUE(start_manager());
    auto in = manager_->inject(lib().str(), 0, {}, {}, Caller::root());
    ASSERT_TRUE(in) << in.error().message;
    events_.wait_job(*in, [](const JobRecord& j) { return j.state == JobState::Waiting; });
    auto m = mount("S00001L8");
    ASSERT_TRUE(m) << m.error().message;
    // The inject holds the robot while it waits for the operator: the mount stays queued and no
    // drive is loaded.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    auto store = Store::open(config().database);
    ASSERT_TRUE(store);
    EXPECT_EQ((*store)->get_job(*in).value()->state, JobState::Waiting);
    EXPECT_EQ((*store)->get_job(*m).value()->state, JobState::Queued);
    EXPECT_FALSE(device(ElementType::DataTransfer)[0].full);
    ASSERT_TRUE(harness_.insert(harness_.library().ie_first, "TGTIN1"));
    const JobRecord injected = final_of(in);
    EXPECT_EQ(injected.state, JobState::Passed) << injected.error_message;
    EXPECT_EQ(injected.media_moved, 1u);
    const JobRecord mounted = final_of(m);
    EXPECT_EQ(mounted.state, JobState::Passed) << mounted.error_message;
    EXPECT_GE(mounted.time_started, injected.time_completed) << "the mount ran after the inject";
    auto drives = device(ElementType::DataTransfer);
    EXPECT_TRUE(drives[0].full || drives[1].full);
}

// A backup job holds drive 0 (its cartridge mounted, a block written) while the operator injects
// a new cartridge through the mail slot: the inject runs beside the held drive, and the dismount
// afterwards takes the backup's cartridge home.
TEST_F(TgtMount, AnInjectWhileABackupHoldsADriveBothCompleteNothingLost) {
    start_tgt(1, 20, 4);
    ASSERT_NO_FATAL_FAILURE(make_tapes({"S00002L8"}));
    ASSERT_TRUE(start_manager());
    const auto before = catalogue();
    ASSERT_EQ(before.size(), 4u);
    ASSERT_EQ(changer(), before);
    const uint16_t first = harness_.library().drive_first;
    const uint16_t home = *medium("S00002L8").element;

    const JobRecord mounted = final_of(mount("S00002L8", first));
    ASSERT_EQ(mounted.state, JobState::Passed) << mounted.error_message;
    auto tape = sgio::IscsiTransport::open(tape_url(0));
    ASSERT_TRUE(tape) << tape.error().message;
    std::vector<uint8_t> block(512, 0x5A);
    write_and_read_back(**tape, block);

    // The operator injects while the backup holds the drive and its session stays open.
    const JobRecord injected =
        serve_inject(manager_->inject(lib().str(), 0, {}, {}, Caller::root()), "TGTIN1");
    EXPECT_EQ(injected.state, JobState::Passed) << injected.error_message;
    EXPECT_EQ(injected.media_moved, 1u);
    EXPECT_EQ(element_of("S00002L8"), std::optional<uint16_t>(first)) << "still in its drive";
    EXPECT_EQ(device(ElementType::DataTransfer)[0].primary_tag, "S00002L8");
    // The backup goes on with its tape: what it wrote is still there, and it writes again.
    write_and_read_back(**tape, std::vector<uint8_t>(512, 0xA5));
    tape->reset();

    const JobRecord off = final_of(dismount("S00002L8"));
    ASSERT_EQ(off.state, JobState::Passed) << off.error_message;
    expect_nothing_lost(before, "S00002L8", home, "TGTIN1");
}

// The mount and the inject submitted together: the library's queue runs the mount first, then the
// inject waits for the operator beside the loaded drive.
TEST_F(TgtMount, AMountAndAnInjectSubmittedTogetherBothCompleteNothingLost) {
    start_tgt(1, 20, 4);
    ASSERT_NO_FATAL_FAILURE(make_tapes({"S00003L8"}));
    ASSERT_TRUE(start_manager());
    const auto before = catalogue();
    ASSERT_EQ(changer(), before);
    const uint16_t home = *medium("S00003L8").element;

    auto m = mount("S00003L8");
    auto in = manager_->inject(lib().str(), 0, {}, {}, Caller::root());
    ASSERT_TRUE(m) << m.error().message;
    const JobRecord injected = serve_inject(in, "TGTIN2");
    const JobRecord mounted = final_of(m);
    ASSERT_EQ(mounted.state, JobState::Passed) << mounted.error_message;
    EXPECT_EQ(injected.state, JobState::Passed) << injected.error_message;
    EXPECT_EQ(injected.media_moved, 1u);
    EXPECT_LE(mounted.time_completed, injected.time_started) << "one job at a time";
    const auto drive = element_of("S00003L8");
    ASSERT_TRUE(drive);
    EXPECT_GE(*drive, harness_.library().drive_first);
    EXPECT_LT(*drive, harness_.library().drive_first + harness_.library().drives) << "mounted";

    const JobRecord off = final_of(dismount("S00003L8"));
    ASSERT_EQ(off.state, JobState::Passed) << off.error_message;
    expect_nothing_lost(before, "S00003L8", home, "TGTIN2");
}
