// A one-shot org.ntms.Ntms1 client for tests that run a caller under another uid (setpriv):
// busctl prints an error's message but not its name, and the tests assert the exact name.
//
//   ntms-dbus-call ADDRESS inject LIBRARY ACTION JOB [KEY=u:NUMBER|KEY=s:TEXT]...
//   ntms-dbus-call ADDRESS get PATH INTERFACE PROPERTY
//   ntms-dbus-call ADDRESS call PATH INTERFACE METHOD        (a method without arguments)
//   ntms-dbus-call ADDRESS cancel PATH                       (Job.Cancel with no options)
//   ntms-dbus-call ADDRESS get-library NAME
//   ntms-dbus-call ADDRESS backup FILE                       (Backup into FILE, opened O_WRONLY)
//
// Prints "ok" and the result, exit 0; or "error NAME" and the message, exit 1; usage: exit 2.
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <iostream>
#include <map>
#include <sdbus-c++/sdbus-c++.h>
#include <string>
#include <vector>

namespace {

constexpr const char* service = "org.ntms.Ntms1";
constexpr const char* root = "/org/ntms/Ntms1";
constexpr const char* manager = "org.ntms.Ntms1.Manager";

int usage() {
    std::cerr << "usage: ntms-dbus-call ADDRESS inject|get|call|cancel|get-library ARGS...\n";
    return 2;
}

int run(const std::vector<std::string>& a) {
    if (a.size() < 2)
        return usage();
    auto conn = sdbus::createSessionBusConnectionWithAddress(a[0]);
    const std::string& cmd = a[1];
    if (cmd == "inject" && a.size() >= 5) {
        std::map<std::string, sdbus::Variant> options;
        for (size_t i = 5; i < a.size(); ++i) {
            const auto eq = a[i].find('=');
            if (eq == std::string::npos || a[i].size() < eq + 3 || a[i][eq + 2] != ':')
                return usage();
            const std::string key = a[i].substr(0, eq), value = a[i].substr(eq + 3);
            if (a[i][eq + 1] == 'u')
                options[key] = sdbus::Variant(static_cast<uint32_t>(std::stoul(value)));
            else
                options[key] = sdbus::Variant(value);
        }
        auto p = sdbus::createProxy(*conn, service, root);
        std::string job;
        sdbus::ObjectPath path;
        p->callMethod("InjectMedia")
            .onInterface(manager)
            .withArguments(a[2], static_cast<uint32_t>(std::stoul(a[3])), a[4], options)
            .storeResultsTo(job, path);
        std::cout << "ok\n" << job << "\n" << path << "\n";
        return 0;
    }
    if (cmd == "get" && a.size() == 5) {
        auto p = sdbus::createProxy(*conn, service, a[2]);
        sdbus::Variant v = p->getProperty(a[4]).onInterface(a[3]);
        std::cout << "ok\n" << v.peekValueType() << "\n";
        return 0;
    }
    if (cmd == "call" && a.size() == 5) {
        auto p = sdbus::createProxy(*conn, service, a[2]);
        auto m = p->createMethodCall(a[3], a[4]);
        p->callMethod(m);
        std::cout << "ok\n";
        return 0;
    }
    if (cmd == "cancel" && a.size() == 3) {
        auto p = sdbus::createProxy(*conn, service, a[2]);
        p->callMethod("Cancel")
            .onInterface("org.ntms.Ntms1.Job")
            .withArguments(std::map<std::string, sdbus::Variant>{});
        std::cout << "ok\n";
        return 0;
    }
    if (cmd == "get-library" && a.size() == 3) {
        auto p = sdbus::createProxy(*conn, service, root);
        sdbus::ObjectPath path;
        p->callMethod("GetLibrary").onInterface(manager).withArguments(a[2]).storeResultsTo(path);
        std::cout << "ok\n" << path << "\n";
        return 0;
    }
    if (cmd == "backup" && a.size() == 3) {
        // Opened by this process with its own rights, as ntmsctl does.
        sdbus::UnixFd file(::open(a[2].c_str(), O_WRONLY | O_CLOEXEC), sdbus::adopt_fd);
        if (!file.isValid()) {
            std::cerr << "ntms-dbus-call: " << a[2] << " cannot be opened\n";
            return 2;
        }
        auto p = sdbus::createProxy(*conn, service, root);
        p->callMethod("Backup").onInterface(manager).withArguments(file);
        std::cout << "ok\n";
        return 0;
    }
    return usage();
}

} // namespace

int main(int argc, char** argv) {
    try {
        return run(std::vector<std::string>(argv + 1, argv + argc));
    } catch (const sdbus::Error& e) {
        std::cout << "error " << e.getName() << "\n" << e.getMessage() << "\n";
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "ntms-dbus-call: " << e.what() << "\n";
        return 2;
    }
}
