#include "daemon/library/tape_devices.hpp"

#include "daemon/journal.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fmt/format.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <systemd/sd-device.h>
#include <systemd/sd-event.h>
#include <thread>
#include <unistd.h>

namespace ntms {

namespace {

std::string trimmed(std::string_view s) {
    auto blank = [](char c) { return c == ' ' || c == '\0' || c == '\t'; };
    while (!s.empty() && blank(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && blank(s.back()))
        s.remove_suffix(1);
    return std::string(s);
}

// "nst0" and "nst12" are the no-rewind nodes of mode 0; "nst0a", "st0" and "nst0l" are not.
bool is_no_rewind_node(std::string_view sysname) {
    if (sysname.size() < 4 || sysname.substr(0, 3) != "nst")
        return false;
    return std::all_of(sysname.begin() + 3, sysname.end(),
                       [](char c) { return c >= '0' && c <= '9'; });
}

// A sysfs attribute's raw bytes (sd_device's value stops at the first NUL, and page 0x80 has one
// in its header).
std::string read_attribute(const std::string& path) {
    std::string out;
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return out;
    char buf[512];
    for (;;) {
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        out.append(buf, static_cast<size_t>(n));
    }
    close(fd);
    return out;
}

TapeDevice describe(sd_device* d) {
    TapeDevice t;
    const char* s = nullptr;
    if (sd_device_get_devname(d, &s) >= 0 && s)
        t.node = s;
    for (const char* link = sd_device_get_devlink_first(d); link;
         link = sd_device_get_devlink_next(d))
        if (std::string_view(link).substr(0, 16) == "/dev/tape/by-id/" &&
            (t.by_id.empty() || std::string_view(link) < t.by_id))
            t.by_id = link; // the first in order, so that the choice does not vary
    sd_device* scsi = nullptr;
    if (sd_device_get_parent_with_subsystem_devtype(d, "scsi", "scsi_device", &scsi) >= 0 &&
        sd_device_get_syspath(scsi, &s) >= 0 && s)
        t.serial = unit_serial_of_page(read_attribute(std::string(s) + "/vpd_pg80"));
    // Without the page in sysfs (an old kernel), udev's scsi_id has read it for the by-id name.
    if (t.serial.empty() && sd_device_get_property_value(d, "ID_SCSI_SERIAL", &s) >= 0 && s)
        t.serial = trimmed(s);
    return t;
}

std::string errno_text(int r) {
    return std::strerror(r < 0 ? -r : r);
}

} // namespace

std::string unit_serial_of_page(std::string_view page) {
    if (page.size() < 4 || static_cast<uint8_t>(page[1]) != 0x80)
        return {};
    const size_t length = static_cast<uint8_t>(page[3]) | (size_t{static_cast<uint8_t>(page[2])} << 8);
    if (page.size() < 4 + length)
        return {};
    return trimmed(page.substr(4, length));
}

void assign_tape_devices(std::vector<DriveState>& drives,
                         const std::map<uint32_t, std::string>& configured,
                         const std::vector<TapeDevice>& tapes) {
    for (auto& d : drives) {
        d.device.clear();
        d.device_by_id.clear();
        if (auto it = configured.find(d.number); it != configured.end()) {
            std::error_code ec;
            const std::filesystem::path p(it->second);
            if (std::filesystem::is_symlink(p, ec)) {
                d.device_by_id = it->second;
                const auto target = std::filesystem::canonical(p, ec);
                d.device = ec ? it->second : target.string();
            } else {
                d.device = it->second;
            }
            continue;
        }
        const std::string serial = trimmed(d.serial);
        if (serial.empty())
            continue;
        const TapeDevice* match = nullptr;
        size_t matches = 0;
        for (const auto& t : tapes)
            if (t.serial == serial) {
                match = &t;
                ++matches;
            }
        if (matches == 1) {
            d.device = match->node;
            d.device_by_id = match->by_id;
        }
    }
}

std::vector<TapeDevice> list_tape_devices(std::string* error) {
    std::vector<TapeDevice> out;
    sd_device_enumerator* e = nullptr;
    int r = sd_device_enumerator_new(&e);
    if (r >= 0)
        r = sd_device_enumerator_add_match_subsystem(e, "scsi_tape", 1);
    if (r < 0) {
        if (error)
            *error = fmt::format("cannot list tape devices: {}", errno_text(r));
        sd_device_enumerator_unref(e);
        return out;
    }
    for (sd_device* d = sd_device_enumerator_get_device_first(e); d;
         d = sd_device_enumerator_get_device_next(e)) {
        const char* name = nullptr;
        if (sd_device_get_sysname(d, &name) >= 0 && name && is_no_rewind_node(name))
            out.push_back(describe(d));
    }
    sd_device_enumerator_unref(e);
    std::sort(out.begin(), out.end(),
              [](const TapeDevice& a, const TapeDevice& b) { return a.node < b.node; });
    return out;
}

std::vector<TapeDevice> TapeDirectory::list() const {
    std::lock_guard lock(mutex_);
    return tapes_;
}

bool TapeDirectory::replace(std::vector<TapeDevice> tapes) {
    std::lock_guard lock(mutex_);
    if (tapes == tapes_)
        return false;
    tapes_ = std::move(tapes);
    return true;
}

TapeDirectory& tape_directory() {
    static TapeDirectory directory;
    return directory;
}

struct TapeWatcher::Impl {
    sd_event* event = nullptr;
    sd_device_monitor* monitor = nullptr;
    int stop_fd = -1;
    std::function<void()> changed;
    std::thread thread;

    ~Impl() {
        sd_device_monitor_unref(monitor);
        sd_event_unref(event);
        if (stop_fd >= 0)
            close(stop_fd);
    }

    static int on_device(sd_device_monitor*, sd_device*, void* userdata) noexcept {
        auto* self = static_cast<Impl*>(userdata);
        try {
            std::string error;
            auto tapes = list_tape_devices(&error);
            if (!error.empty())
                log(LOG_WARNING, error);
            else if (tape_directory().replace(std::move(tapes)))
                self->changed();
        } catch (const std::exception& ex) {
            try {
                log(LOG_ERR, fmt::format("tape device event not handled: {}", ex.what()));
            } catch (...) {
            }
        } catch (...) {
        }
        return 0; // an error would stop the monitor for good
    }
    static int on_stop(sd_event_source* s, int, uint32_t, void*) noexcept {
        return sd_event_exit(sd_event_source_get_event(s), 0);
    }
};

TapeWatcher::TapeWatcher() : impl_(std::make_unique<Impl>()) {}

TapeWatcher::~TapeWatcher() {
    stop();
}

bool TapeWatcher::start(std::function<void()> changed, std::string* error) {
    Impl& m = *impl_;
    if (m.thread.joinable())
        return true;
    auto failed = [&](const char* what, int r) {
        if (error)
            *error = fmt::format("udev monitor of tape devices: {}: {}", what, errno_text(r));
        return false;
    };
    int r = sd_event_new(&m.event);
    if (r < 0)
        return failed("event loop", r);
    m.stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m.stop_fd < 0)
        return failed("eventfd", -errno);
    if ((r = sd_event_add_io(m.event, nullptr, m.stop_fd, EPOLLIN, Impl::on_stop, nullptr)) < 0)
        return failed("eventfd", r);
    if ((r = sd_device_monitor_new(&m.monitor)) < 0)
        return failed("netlink socket", r);
    (void)sd_device_monitor_set_description(m.monitor, "tape devices");
    if ((r = sd_device_monitor_filter_add_match_subsystem_devtype(m.monitor, "scsi_tape",
                                                                  nullptr)) < 0)
        return failed("filter", r);
    if ((r = sd_device_monitor_attach_event(m.monitor, m.event)) < 0)
        return failed("attach", r);
    if ((r = sd_device_monitor_start(m.monitor, Impl::on_device, &m)) < 0)
        return failed("start", r);
    m.changed = std::move(changed);
    // A device that came between the first listing and the monitor's start is caught here.
    if (tape_directory().replace(list_tape_devices()))
        m.changed();
    m.thread = std::thread([&m] {
        if (const int rc = sd_event_loop(m.event); rc < 0)
            log(LOG_ERR, fmt::format("udev monitor of tape devices stopped: {}", errno_text(rc)));
    });
    return true;
}

void TapeWatcher::stop() {
    if (!impl_->thread.joinable())
        return;
    const uint64_t one = 1;
    (void)!write(impl_->stop_fd, &one, sizeof one);
    impl_->thread.join();
}

} // namespace ntms
