// A session: one bus connection to one host's ntmsd, used by one thread at a time (sdbus-c++
// connections are not thread-safe), and the registry that turns HANDLEs into sessions without
// ever dereferencing a pointer the caller made up.
#pragma once

#include <ntmsapi.h>

#include <sdbus-c++/sdbus-c++.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace ntms::lib {

using Properties = std::map<std::string, sdbus::Variant>;
using ManagedObjects = std::map<sdbus::ObjectPath, std::map<std::string, Properties>>;

class Session {
public:
    // Connects to the system bus of host ("" = this host) and checks that ntmsd answers.
    // Throws sdbus::Error.
    Session(const std::string& host, std::string application);

    // Held for the length of every call on the connection.
    std::mutex mutex;

    const std::string& host() const { return host_; }
    const std::string& application() const { return application_; }
    // The timeout option of the next injects; 0 = the library's InjectTimeout.
    DWORD inject_timeout = 0;

    // Manager methods.
    std::tuple<std::string, sdbus::ObjectPath> inject(const std::string& library, uint32_t action,
                                                      const std::string& job,
                                                      const std::map<std::string, sdbus::Variant>& options);
    sdbus::ObjectPath library_path(const std::string& library);
    std::vector<sdbus::ObjectPath> library_paths();
    sdbus::ObjectPath job_path(const std::string& job);
    sdbus::ObjectPath oprequest_path(const std::string& request);
    // Every object under the root (jobs and requests still on the bus), with their properties.
    ManagedObjects managed_objects();
    // All properties of one interface of one object, in one round trip.
    Properties properties(const sdbus::ObjectPath& path, const std::string& interface);

    void cancel_job(const sdbus::ObjectPath& path);
    void satisfy_oprequest(const sdbus::ObjectPath& path);
    void cancel_oprequest(const sdbus::ObjectPath& path);

private:
    std::string host_;
    std::string application_;
    std::unique_ptr<sdbus::IConnection> bus_;
};

// The registry. Handles are numbers that are never reused, so a closed handle stays invalid
// even when a new session is opened afterwards.
HANDLE register_session(std::shared_ptr<Session> s);
std::shared_ptr<Session> find_session(HANDLE h);
bool unregister_session(HANDLE h);

} // namespace ntms::lib
