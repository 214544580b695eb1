// The virtual changer's state file: where the state lives between commands and processes, under
// an flock(2) that every process sharing the changer takes (the format: virtual_changer_state.cpp).
#include "virtual_changer_state.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sgio::detail {

namespace {

uint64_t random_id() {
    uint64_t id = 0;
    if (getrandom(&id, sizeof id, 0) == static_cast<ssize_t>(sizeof id) && id != 0)
        return id;
    // No entropy source: time and pid still tell one creation from the next.
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return (static_cast<uint64_t>(ts.tv_sec) << 32) ^ static_cast<uint64_t>(ts.tv_nsec) ^
           (static_cast<uint64_t>(getpid()) << 16) ^ 1u;
}

} // namespace

VcStateFile::~VcStateFile() {
    if (lock_fd_ >= 0)
        ::close(lock_fd_);
}

Result<void> VcStateFile::attach(const std::string& path) {
    const std::string lock_path = path + ".lock";
    const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno_error(Errc::OpenFailed, "cannot open " + lock_path, errno);
    if (lock_fd_ >= 0)
        ::close(lock_fd_);
    lock_fd_ = fd;
    path_ = path;
    known_ = false;
    return {};
}

Result<void> VcStateFile::lock() {
    while (::flock(lock_fd_, LOCK_EX) != 0)
        if (errno != EINTR)
            return errno_error(Errc::TransportFailed, "cannot lock " + path_ + ".lock", errno);
    return {};
}

void VcStateFile::unlock() {
    ::flock(lock_fd_, LOCK_UN);
}

Result<bool> VcStateFile::exists() const {
    struct stat st {};
    if (::stat(path_.c_str(), &st) == 0)
        return true;
    if (errno == ENOENT)
        return false;
    return errno_error(Errc::OpenFailed, "cannot stat " + path_, errno);
}

Result<std::string> VcStateFile::read_all(int fd) const {
    std::string text;
    char buf[65536];
    for (off_t off = 0;;) {
        const ssize_t n = ::pread(fd, buf, sizeof buf, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno_error(Errc::OpenFailed, "cannot read " + path_, errno);
        if (n == 0)
            return text;
        text.append(buf, static_cast<size_t>(n));
        off += n;
    }
}

Result<bool> VcStateFile::load_if_changed(VcParsed& out) {
    const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return make_error(Errc::DeviceGone, "state file " + path_ + " has been removed");
        return errno_error(Errc::OpenFailed, "cannot open " + path_, errno);
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0)
        return errno_error(Errc::OpenFailed, "cannot stat " + path_, errno);
    const Stamp stamp{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                      static_cast<uint64_t>(st.st_size), st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
    if (known_ && stamp == stamp_) {
        // Same inode, size and mtime can still hide a rewrite within one clock tick after inode
        // reuse; the generation in the first line settles it.
        char head[256];
        const ssize_t n = ::pread(fd, head, sizeof head, 0);
        if (n > 0) {
            std::string_view h(head, static_cast<size_t>(n));
            Header hdr;
            if (parse_header(h.substr(0, h.find('\n')), hdr).empty() && hdr.id == id_ &&
                hdr.generation == generation_)
                return false;
        }
    }
    auto text = read_all(fd);
    if (!text)
        return std::move(text).error();
    auto parsed = parse_state(*text, path_);
    if (!parsed)
        return std::move(parsed).error();
    out = std::move(parsed.value());
    recorded_ = out.config;
    id_ = out.id;
    generation_ = out.generation;
    stamp_ = stamp;
    known_ = true;
    return true;
}

Result<void> VcStateFile::create(const VirtualChangerConfig& config, const VcPersisted& state) {
    id_ = random_id();
    generation_ = 0;
    recorded_ = config;
    return save(state);
}

Result<void> VcStateFile::save(const VcPersisted& state) {
    const uint64_t generation = generation_ + 1;
    const std::string text = serialize_state(recorded_, state, id_, generation);
    const std::string tmp = path_ + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno_error(Errc::TransportFailed, "cannot write " + tmp, errno);
    size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            const int err = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            return errno_error(Errc::TransportFailed, "cannot write " + tmp, err);
        }
        done += static_cast<size_t>(n);
    }
    struct stat st {};
    if (::fsync(fd) != 0 || ::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        return errno_error(Errc::TransportFailed, "cannot sync " + tmp, err);
    }
    ::close(fd);
    if (::rename(tmp.c_str(), path_.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        return errno_error(Errc::TransportFailed, "cannot replace " + path_, err);
    }
    // The rename is durable only once the directory is; a failure here loses nothing we can fix.
    const size_t slash = path_.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : path_.substr(0, slash + 1);
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
    generation_ = generation;
    stamp_ = {static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
              static_cast<uint64_t>(st.st_size), st.st_mtim.tv_sec, st.st_mtim.tv_nsec};
    known_ = true;
    return {};
}

} // namespace sgio::detail

namespace sgio {

Result<VirtualChangerConfig> VirtualChangerConfig::from_state_file(const std::string& path) {
    // Saves replace the file by rename, so reading without the lock sees one whole generation.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return detail::errno_error(Errc::OpenFailed, "cannot open state file " + path, errno);
    std::string text;
    char buf[65536];
    ssize_t n = 0;
    while ((n = ::read(fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0)
            text.append(buf, static_cast<size_t>(n));
    const int err = errno;
    ::close(fd);
    if (n < 0)
        return detail::errno_error(Errc::OpenFailed, "cannot read state file " + path, err);
    auto parsed = detail::parse_state(text, path);
    if (!parsed)
        return std::move(parsed).error();
    VirtualChangerConfig config = std::move(parsed->config);
    config.state_file = path;
    return config;
}

} // namespace sgio
