#include "daemon/registry/discovery.hpp"

#include "daemon/journal.hpp"

#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fmt/format.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <systemd/sd-device.h>
#include <systemd/sd-event.h>
#include <thread>
#include <unistd.h>

namespace ntms {

namespace {

constexpr unsigned changer_type = 8;

struct EnumeratorUnref {
    void operator()(sd_device_enumerator* e) const { sd_device_enumerator_unref(e); }
};
using EnumeratorPtr = std::unique_ptr<sd_device_enumerator, EnumeratorUnref>;

std::string errno_text(int r) {
    return std::strerror(r < 0 ? -r : r);
}

// Blanks around INQUIRY's padded fields go; anything not safe in a name becomes one '_'.
void append_part(std::string& name, std::string_view part) {
    while (!part.empty() && std::isspace(static_cast<unsigned char>(part.front())))
        part.remove_prefix(1);
    while (!part.empty() && std::isspace(static_cast<unsigned char>(part.back())))
        part.remove_suffix(1);
    if (part.empty())
        return;
    // One '_' between parts, also where a part ended in a replaced character.
    if (!name.empty() && name.back() != '_')
        name.push_back('_');
    for (char c : part) {
        const bool safe = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
        if (safe)
            name.push_back(c);
        else if (name.empty() || name.back() != '_')
            name.push_back('_');
    }
}

// The scsi_device above an sg node says what kind of device it is.
bool is_changer(sd_device* sg) {
    sd_device* scsi = nullptr;
    if (sd_device_get_parent_with_subsystem_devtype(sg, "scsi", "scsi_device", &scsi) < 0)
        return false;
    const char* type = nullptr;
    if (sd_device_get_sysattr_value(scsi, "type", &type) < 0 || !type)
        return false;
    return is_medium_changer_type(type);
}

FoundDevice describe(sd_device* d) {
    FoundDevice f;
    const char* s = nullptr;
    if (sd_device_get_syspath(d, &s) >= 0 && s)
        f.syspath = s;
    if (sd_device_get_sysname(d, &s) >= 0 && s)
        f.sysname = s;
    if (sd_device_get_devname(d, &s) >= 0 && s)
        f.devnode = s;
    else if (!f.sysname.empty())
        f.devnode = "/dev/" + f.sysname;
    return f;
}

} // namespace

bool is_medium_changer_type(std::string_view type_attribute) {
    while (!type_attribute.empty() &&
           std::isspace(static_cast<unsigned char>(type_attribute.back())))
        type_attribute.remove_suffix(1);
    unsigned type = 0;
    const auto* end = type_attribute.data() + type_attribute.size();
    auto [p, ec] = std::from_chars(type_attribute.data(), end, type);
    return ec == std::errc() && p == end && !type_attribute.empty() && type == changer_type;
}

std::string discovered_library_name(const sgio::Identity& id, const std::string& sysname) {
    std::string name;
    append_part(name, id.vendor);
    append_part(name, id.product);
    append_part(name, id.serial.empty() ? sysname : id.serial);
    while (!name.empty() && name.back() == '_')
        name.pop_back();
    if (name.empty())
        name = sysname.empty() ? "changer" : sysname;
    return name;
}

struct Discovery::Impl {
    sd_event* event = nullptr;
    sd_device_monitor* monitor = nullptr;
    int stop_fd = -1;
    std::atomic<bool> listening{false};
    Handler handler;
    std::thread thread;

    ~Impl() {
        sd_device_monitor_unref(monitor);
        sd_event_unref(event);
        if (stop_fd >= 0)
            close(stop_fd);
    }

    Expected<void> listen();
    Expected<std::vector<FoundDevice>> enumerate();

    static int on_device(sd_device_monitor*, sd_device* d, void* userdata) noexcept;
    static int on_stop(sd_event_source* s, int, uint32_t, void*) noexcept {
        return sd_event_exit(sd_event_source_get_event(s), 0);
    }
};

Expected<void> Discovery::Impl::listen() {
    auto failed = [](const char* what, int r) {
        return fail(win32::DeviceNotAvailable,
                    fmt::format("udev monitor: {}: {}", what, errno_text(r)));
    };
    int r = sd_event_new(&event);
    if (r < 0)
        return failed("event loop", r);
    stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (stop_fd < 0)
        return failed("eventfd", -errno);
    if ((r = sd_event_add_io(event, nullptr, stop_fd, EPOLLIN, on_stop, nullptr)) < 0)
        return failed("eventfd", r);
    if ((r = sd_device_monitor_new(&monitor)) < 0)
        return failed("netlink socket", r);
    (void)sd_device_monitor_set_description(monitor, "medium changers");
    if ((r = sd_device_monitor_filter_add_match_subsystem_devtype(monitor, "scsi_generic",
                                                                  nullptr)) < 0)
        return failed("filter", r);
    if ((r = sd_device_monitor_attach_event(monitor, event)) < 0)
        return failed("attach", r);
    // Binds the socket: from here on events wait in it until the loop runs.
    if ((r = sd_device_monitor_start(monitor, on_device, this)) < 0)
        return failed("start", r);
    listening = true;
    return {};
}

Expected<std::vector<FoundDevice>> Discovery::Impl::enumerate() {
    sd_device_enumerator* raw = nullptr;
    int r = sd_device_enumerator_new(&raw);
    if (r < 0)
        return fail(win32::DeviceNotAvailable,
                    fmt::format("cannot list devices: {}", errno_text(r)));
    EnumeratorPtr e(raw);
    if ((r = sd_device_enumerator_add_match_subsystem(e.get(), "scsi_generic", 1)) < 0)
        return fail(win32::DeviceNotAvailable,
                    fmt::format("cannot list scsi_generic devices: {}", errno_text(r)));
    std::vector<FoundDevice> out;
    for (sd_device* d = sd_device_enumerator_get_device_first(e.get()); d;
         d = sd_device_enumerator_get_device_next(e.get()))
        if (is_changer(d))
            out.push_back(describe(d));
    return out;
}

int Discovery::Impl::on_device(sd_device_monitor*, sd_device* d, void* userdata) noexcept {
    auto* self = static_cast<Impl*>(userdata);
    try {
        sd_device_action_t action;
        if (sd_device_get_action(d, &action) < 0)
            return 0;
        if (action == SD_DEVICE_ADD && is_changer(d))
            self->handler(DeviceAction::Added, describe(d));
        else if (action == SD_DEVICE_REMOVE)
            self->handler(DeviceAction::Removed, describe(d));
    } catch (const std::exception& ex) {
        try {
            log(LOG_ERR, fmt::format("udev event not handled: {}", ex.what()));
        } catch (...) {
        }
    } catch (...) {
    }
    return 0; // an error would stop the monitor for good
}

Discovery::Discovery() : impl_(std::make_unique<Impl>()) {}

Discovery::~Discovery() {
    stop();
}

Expected<std::vector<FoundDevice>> Discovery::open() {
    if (auto l = impl_->listen(); !l)
        log(LOG_WARNING, fmt::format("changers added or removed while ntmsd runs will not be "
                                     "followed: {}",
                                     l.error().message));
    return impl_->enumerate();
}

void Discovery::start(Handler handler) {
    if (!impl_->listening || impl_->thread.joinable())
        return;
    impl_->handler = std::move(handler);
    impl_->thread = std::thread([impl = impl_.get()] {
        const int r = sd_event_loop(impl->event);
        if (r < 0)
            log(LOG_ERR, fmt::format("udev monitor stopped: {}; changers added or removed from "
                                     "now on are not followed",
                                     errno_text(r)));
        impl->listening = false;
    });
}

void Discovery::stop() {
    if (!impl_->thread.joinable())
        return;
    const uint64_t one = 1;
    (void)!write(impl_->stop_fd, &one, sizeof one);
    impl_->thread.join();
}

bool Discovery::following() const {
    return impl_->listening && impl_->thread.joinable();
}

} // namespace ntms
