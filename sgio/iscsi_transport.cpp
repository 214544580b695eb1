#include "iscsi_transport.hpp"

#include "fields.hpp"
#include "sense.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <climits>
#include <fmt/format.h>
#include <iscsi/iscsi.h>
#include <iscsi/scsi-lowlevel.h>
#include <memory>
#include <optional>
#include <poll.h>
#include <unistd.h>

namespace sgio {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view scheme = "iscsi://";
constexpr unsigned max_lun = 16383; // SAM flat addressing, the widest form libiscsi encodes
constexpr std::chrono::milliseconds login_timeout{15'000};
// libiscsi runs its own timers from iscsi_service(); it wants a call at least this often.
constexpr int service_interval_ms = 1000;

bool valid_host_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == '_';
}

bool valid_ipv6_char(char c) {
    return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.';
}

template <typename T> std::optional<T> parse_decimal(std::string_view s) {
    if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) {
            return std::isdigit(static_cast<unsigned char>(c));
        }))
        return std::nullopt;
    T value{};
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc{} || end != s.data() + s.size())
        return std::nullopt;
    return value;
}

Error url_error(const std::string& url, std::string_view why) {
    return make_error(
        Errc::InvalidArgument,
        fmt::format("bad iSCSI URL '{}': {} (expected iscsi://HOST[:PORT]/IQN/LUN)", url, why));
}

// The default initiator name carries the host name, so target ACLs can tell hosts apart.
std::string default_initiator() {
    std::array<char, HOST_NAME_MAX + 1> host{};
    std::string name = "iqn.2025-01.org.ntms:ntmsd";
    if (::gethostname(host.data(), host.size() - 1) == 0 && host[0] != '\0') {
        name += '.';
        for (const char* p = host.data(); *p != '\0'; ++p) {
            const auto c = static_cast<unsigned char>(*p);
            name += std::isalnum(c) != 0 || *p == '-' ? static_cast<char>(std::tolower(c)) : '-';
        }
    }
    return name;
}

// What a libiscsi callback reports back to the loop that waits for it.
struct Completion {
    bool finished = false;
    int status = SCSI_STATUS_GOOD;
    std::string error; // libiscsi's message at the time of a failure; later calls overwrite it
};

// libiscsi's messages sometimes end in a newline.
std::string last_error(iscsi_context* ctx) {
    std::string e = iscsi_get_error(ctx);
    while (!e.empty() && (e.back() == '\n' || e.back() == ' '))
        e.pop_back();
    return e.empty() ? "unknown iSCSI error" : e;
}

void on_complete(iscsi_context* ctx, int status, void* /*command_data*/, void* private_data) {
    auto* done = static_cast<Completion*>(private_data);
    done->status = status;
    done->finished = true;
    if (status != SCSI_STATUS_GOOD && status != SCSI_STATUS_CHECK_CONDITION)
        done->error = last_error(ctx);
}

enum class Pumped { Finished, TimedOut, Failed };

// Drives libiscsi until `done` fires or the deadline passes. Our own loop instead of the *_sync
// calls: those return early on EINTR with the command still queued and pointing into their stack
// frame, have only whole-second timeouts, and reconnect forever in the background.
Pumped pump(iscsi_context* ctx, const Completion& done, Clock::time_point deadline) {
    while (!done.finished) {
        const auto left =
            std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0)
            return Pumped::TimedOut;
        const int wait = static_cast<int>(std::min<long long>(left, service_interval_ms));
        pollfd pfd{};
        pfd.fd = iscsi_get_fd(ctx);
        pfd.events = static_cast<short>(iscsi_which_events(ctx));
        if (pfd.fd < 0)
            return Pumped::Failed;
        const int rc = ::poll(&pfd, 1, wait);
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            return Pumped::Failed;
        }
        // A failing service call may first complete `done` (a refused connection reports to the
        // login callback, then fails): the callback's outcome is the one to report.
        if (iscsi_service(ctx, rc == 0 ? 0 : pfd.revents) < 0)
            return done.finished ? Pumped::Finished : Pumped::Failed;
    }
    return Pumped::Finished;
}

Clock::time_point deadline_after(std::chrono::milliseconds timeout) {
    // 0 means "no limit" for SG_IO callers; keep that meaning here with a far deadline.
    if (timeout.count() <= 0)
        return Clock::time_point::max();
    const auto now = Clock::now();
    if (timeout >=
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::time_point::max() - now))
        return Clock::time_point::max();
    return now + timeout;
}

struct ContextDeleter {
    void operator()(iscsi_context* ctx) const { iscsi_destroy_context(ctx); }
};
using ContextPtr = std::unique_ptr<iscsi_context, ContextDeleter>;

struct TaskDeleter {
    void operator()(scsi_task* task) const { scsi_free_scsi_task(task); }
};
using TaskPtr = std::unique_ptr<scsi_task, TaskDeleter>;

// Creates a context and logs in to the LUN (libiscsi consumes the login's unit attentions with
// TEST UNIT READY, which also proves the LUN exists).
Result<ContextPtr> login(const IscsiUrl& url, const std::string& initiator) {
    ContextPtr ctx(iscsi_create_context(initiator.c_str()));
    if (!ctx)
        return make_error(Errc::OpenFailed, "cannot create an iSCSI context");
    if (iscsi_set_targetname(ctx.get(), url.target.c_str()) != 0 ||
        iscsi_set_session_type(ctx.get(), ISCSI_SESSION_NORMAL) != 0 ||
        iscsi_set_header_digest(ctx.get(), ISCSI_HEADER_DIGEST_NONE_CRC32C) != 0)
        return make_error(Errc::OpenFailed,
                          fmt::format("iSCSI session setup: {}", last_error(ctx.get())));
    // We reconnect ourselves, once, so a dead target ends in an error instead of a retry loop.
    iscsi_set_noautoreconnect(ctx.get(), 1);

    const std::string portal = url.portal();
    Completion done;
    if (iscsi_full_connect_async(ctx.get(), portal.c_str(), url.lun, on_complete, &done) != 0)
        return make_error(Errc::OpenFailed,
                          fmt::format("iSCSI login to {}: {}", portal, last_error(ctx.get())));
    const Pumped p = pump(ctx.get(), done, deadline_after(login_timeout));
    if (p == Pumped::TimedOut)
        return make_error(Errc::Timeout,
                          fmt::format("iSCSI login to {} target {} timed out", portal, url.target));
    if (p != Pumped::Finished || done.status != SCSI_STATUS_GOOD)
        return make_error(Errc::OpenFailed,
                          fmt::format("iSCSI login to {} target {} LUN {}: {}", portal, url.target,
                                      url.lun,
                                      done.error.empty() ? last_error(ctx.get()) : done.error));
    return ctx;
}

// Commands that move media: after a lost connection we cannot know whether the robot already
// acted, so they are not sent again.
bool moves_media(uint8_t opcode) {
    return opcode == 0xA5 /* MOVE MEDIUM */ || opcode == 0xA6 /* EXCHANGE MEDIUM */;
}

Result<void> check_arguments(std::span<const uint8_t> cdb, Direction direction,
                             std::span<const uint8_t> buffer, std::chrono::milliseconds timeout) {
    return check_command_arguments(cdb, direction, buffer, timeout, INT_MAX); // libiscsi's int sizes
}

} // namespace

Result<IscsiUrl> IscsiUrl::parse(const std::string& url) {
    std::string_view rest(url);
    if (!starts_with_nocase(rest, scheme))
        return url_error(url, "must start with iscsi://");
    rest.remove_prefix(scheme.size());
    if (rest.find_first_of("?#") != std::string_view::npos)
        return url_error(url, "query and fragment are not allowed");

    const size_t slash = rest.find('/');
    const std::string_view authority = rest.substr(0, slash);
    if (authority.find('@') != std::string_view::npos)
        return url_error(url, "credentials in the URL are not supported");

    IscsiUrl out;
    std::string_view port_text;
    bool has_port = false;
    if (!authority.empty() && authority.front() == '[') {
        const size_t close = authority.find(']');
        if (close == std::string_view::npos)
            return url_error(url, "unterminated [ in host");
        const std::string_view host = authority.substr(1, close - 1);
        if (host.empty() || !std::all_of(host.begin(), host.end(), valid_ipv6_char))
            return url_error(url, "bad IPv6 address");
        out.host = std::string(host);
        const std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':')
                return url_error(url, "unexpected text after ]");
            port_text = after.substr(1);
            has_port = true;
        }
    } else {
        const size_t colon = authority.find(':');
        const std::string_view host = authority.substr(0, colon);
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            has_port = true;
            if (port_text.find(':') != std::string_view::npos)
                return url_error(url, "an IPv6 address must be written in brackets: [ADDR]:PORT");
        }
        if (host.empty())
            return url_error(url, "missing host");
        if (!std::all_of(host.begin(), host.end(), valid_host_char))
            return url_error(url, "bad character in host");
        out.host = std::string(host);
    }
    if (has_port) {
        const auto port = parse_decimal<unsigned>(port_text);
        if (!port || *port == 0 || *port > 65535)
            return url_error(url, "port must be a number from 1 to 65535");
        out.port = static_cast<uint16_t>(*port);
    }

    if (slash == std::string_view::npos)
        return url_error(url, "missing /IQN/LUN");
    const std::string_view path = rest.substr(slash + 1);
    const size_t lun_slash = path.rfind('/');
    if (lun_slash == std::string_view::npos)
        return url_error(url, "missing /LUN after the target name");
    const std::string_view target = path.substr(0, lun_slash);
    const std::string_view lun_text = path.substr(lun_slash + 1);
    if (lun_text.empty())
        return url_error(url, "missing LUN");
    if (target.empty())
        return url_error(url, "missing target name");
    if (target.find('/') != std::string_view::npos)
        return url_error(url, "target name contains '/'");
    if (!starts_with_nocase(target, "iqn.") && !starts_with_nocase(target, "eui.") &&
        !starts_with_nocase(target, "naa."))
        return url_error(url, "target name must start with iqn., eui. or naa.");
    if (!std::all_of(target.begin(), target.end(),
                     [](char c) { return std::isgraph(static_cast<unsigned char>(c)) != 0; }))
        return url_error(url, "target name contains blanks or control characters");
    const auto lun = parse_decimal<unsigned>(lun_text);
    if (!lun || *lun > max_lun)
        return url_error(url, fmt::format("LUN must be a number from 0 to {}", max_lun));
    out.target = std::string(target);
    out.lun = static_cast<int>(*lun);
    return out;
}

std::string IscsiUrl::portal() const {
    if (host.find(':') != std::string::npos)
        return fmt::format("[{}]:{}", host, port);
    return fmt::format("{}:{}", host, port);
}

Result<std::unique_ptr<IscsiTransport>> IscsiTransport::open(const std::string& url,
                                                             const std::string& initiator) {
    auto parsed = IscsiUrl::parse(url);
    if (!parsed)
        return std::move(parsed).error();
    const std::string name = initiator.empty() ? default_initiator() : initiator;
    auto ctx = login(*parsed, name);
    if (!ctx)
        return std::move(ctx).error();
    return std::unique_ptr<IscsiTransport>(
        new IscsiTransport(url, std::move(parsed).value(), name, ctx->release()));
}

IscsiTransport::~IscsiTransport() {
    drop_session(true);
}

void IscsiTransport::drop_session(bool logout) {
    if (ctx_ == nullptr)
        return;
    // A clean logout is a courtesy for a healthy peer; a hung or dead one would only make us wait.
    if (logout && iscsi_is_logged_in(ctx_) != 0) {
        Completion done;
        if (iscsi_logout_async(ctx_, on_complete, &done) == 0)
            (void)pump(ctx_, done, deadline_after(std::chrono::milliseconds(2'000)));
    }
    iscsi_destroy_context(ctx_);
    ctx_ = nullptr;
}

Result<void> IscsiTransport::reconnect() {
    drop_session(false);
    auto ctx = login(parsed_, initiator_);
    if (!ctx) {
        Error e = std::move(ctx).error();
        e.code = Errc::DeviceGone;
        e.message = fmt::format("{}: connection lost and reconnect failed: {}", url_, e.message);
        return e;
    }
    ctx_ = ctx->release();
    ++reconnects_;
    return {};
}

IscsiTransport::Attempt IscsiTransport::execute_once(std::span<const uint8_t> cdb,
                                                     Direction direction, std::span<uint8_t> buffer,
                                                     std::chrono::milliseconds timeout) {
    std::array<unsigned char, 16> command{};
    std::copy(cdb.begin(), cdb.end(), command.begin());
    const int length = static_cast<int>(buffer.size());
    int xfer_dir = SCSI_XFER_NONE;
    if (!buffer.empty())
        xfer_dir = direction == Direction::FromDevice ? SCSI_XFER_READ : SCSI_XFER_WRITE;

    TaskPtr task(scsi_create_task(static_cast<int>(cdb.size()), command.data(), xfer_dir, length));
    if (!task)
        return {make_error(Errc::TransportFailed, "cannot allocate an iSCSI task"), false};
    // The data goes straight to and from the caller's buffer: no copy of large status reports.
    if (xfer_dir == SCSI_XFER_READ &&
        scsi_task_add_data_in_buffer(task.get(), length, buffer.data()) != 0)
        return {make_error(Errc::TransportFailed, "cannot attach the data-in buffer"), false};
    if (xfer_dir == SCSI_XFER_WRITE &&
        scsi_task_add_data_out_buffer(task.get(), length, buffer.data()) != 0)
        return {make_error(Errc::TransportFailed, "cannot attach the data-out buffer"), false};

    Completion done;
    if (iscsi_scsi_command_async(ctx_, parsed_.lun, task.get(), on_complete, nullptr, &done) != 0)
        return {make_error(Errc::TransportFailed,
                           fmt::format("{}: cannot queue the command: {}", url_, last_error(ctx_))),
                true};

    const Pumped p = pump(ctx_, done, deadline_after(timeout));
    if (p == Pumped::TimedOut) {
        // Closing the session makes the target abort the task; the next command logs in again.
        // The callback may fire during teardown and needs `done` alive, so do it here.
        drop_session(false);
        return {make_error(Errc::Timeout, fmt::format("{}: command {:02X}h timed out after {} ms",
                                                      url_, cdb[0], timeout.count())),
                false};
    }
    if (p == Pumped::Failed || done.status == SCSI_STATUS_CANCELLED ||
        done.status == SCSI_STATUS_ERROR) {
        Error e = make_error(Errc::DeviceGone,
                             fmt::format("{}: connection lost: {}", url_,
                                         done.error.empty() ? last_error(ctx_) : done.error));
        drop_session(false);
        return {std::move(e), true};
    }
    if (done.status == SCSI_STATUS_TIMEOUT)
        return {
            make_error(Errc::Timeout, fmt::format("{}: command {:02X}h timed out", url_, cdb[0])),
            false};
    if (done.status < 0 || done.status > 0xFF)
        return {make_error(Errc::TransportFailed,
                           fmt::format("{}: unexpected libiscsi status {:#x}: {}", url_,
                                       done.status, last_error(ctx_))),
                false};

    CommandResult r;
    r.status = static_cast<uint8_t>(done.status);
    if (r.status == status::CheckCondition && task->datain.data != nullptr &&
        task->datain.size >= 2) {
        // The response PDU's data segment is a 2-byte SENSE LENGTH followed by the sense bytes.
        const auto* data = task->datain.data;
        const size_t avail = static_cast<size_t>(task->datain.size) - 2;
        const size_t sense_length = std::min<size_t>((size_t{data[0]} << 8) | data[1], avail);
        r.sense_bytes.assign(data + 2, data + 2 + sense_length);
        r.sense = parse_sense(r.sense_bytes);
    }
    if (!buffer.empty()) {
        // Underflow: the target sent fewer bytes than asked (tgt's READ ELEMENT STATUS replies are
        // 8 bytes short). Overflow: it had more; we received a full buffer.
        if (task->residual_status == SCSI_RESIDUAL_UNDERFLOW)
            r.residual = std::min(task->residual, buffer.size());
        r.transferred = buffer.size() - r.residual;
        if (r.status != status::Good && r.status != status::ConditionMet) {
            r.transferred = 0;
            r.residual = buffer.size();
        }
    }
    return {std::move(r), false};
}

Result<CommandResult> IscsiTransport::execute(std::span<const uint8_t> cdb, Direction direction,
                                              std::span<uint8_t> buffer,
                                              std::chrono::milliseconds timeout) {
    if (auto ok = check_arguments(cdb, direction, buffer, timeout); !ok)
        return std::move(ok).error();

    std::lock_guard lock(mutex_);
    bool reconnected = false;
    if (ctx_ == nullptr) {
        // The session was dropped by an earlier timeout or loss: one login attempt per command.
        if (auto r = reconnect(); !r)
            return std::move(r).error();
        reconnected = true;
    }
    Attempt attempt = execute_once(cdb, direction, buffer, timeout);
    if (!attempt.connection_lost || reconnected)
        return std::move(attempt.result);
    if (auto r = reconnect(); !r)
        return std::move(r).error();
    if (moves_media(cdb[0])) {
        Error e = make_error(Errc::TransportFailed,
                             fmt::format("{}: connection lost during command {:02X}h; reconnected, "
                                         "outcome unknown: read the element status",
                                         url_, cdb[0]));
        return e;
    }
    return std::move(execute_once(cdb, direction, buffer, timeout).result);
}

} // namespace sgio
