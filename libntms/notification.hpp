// OpenNtmsNotification: ntmsd's signals about one type of object (jobs or operator requests),
// queued in the order they came for WaitForNtmsNotification; and the registry of their handles.
#pragma once

#include "session.hpp"
#include "signals.hpp"

#include <deque>
#include <memory>
#include <optional>

namespace ntms::lib {

class Notification {
public:
    // Under the session's mutex (the rules are added). type: NTMS_LIBREQUEST or NTMS_OPREQUEST.
    Notification(std::shared_ptr<Session> session, DWORD type);
    Notification(const Notification&) = delete;
    Notification& operator=(const Notification&) = delete;

    // The next notification, waiting for it up to timeout milliseconds (INFINITE: no limit).
    // ERROR_SUCCESS, ERROR_TIMEOUT, ERROR_INVALID_HANDLE (the notification or its session was
    // closed), ERROR_NOT_READY (ntmsd left the bus; the notification goes on with the next one).
    // Throws sdbus::Error for a broken connection.
    DWORD wait(NTMS_NOTIFICATIONINFORMATION& out, DWORD timeout);
    // CloseNtmsNotification: the rules go, waits end.
    void close();

    // Kept beyond this, the oldest notifications are dropped: a program that opened a
    // notification and never waits on it must not make its memory grow without end.
    static constexpr size_t max_queued = 1024;

private:
    void push(DWORD operation, const std::string& path);
    void on_job_signal(sdbus::Message& m);
    void on_oprequest_signal(sdbus::Message& m);

    std::shared_ptr<Session> session_;
    Wakeup wakeup_;
    // The rest under the session's mutex.
    std::optional<Subscription> subscription_;
    std::deque<NTMS_NOTIFICATIONINFORMATION> queue_;
    bool closed_ = false;
};

HANDLE register_notification(std::shared_ptr<Notification> n);
std::shared_ptr<Notification> find_notification(HANDLE h);
std::shared_ptr<Notification> unregister_notification(HANDLE h);

} // namespace ntms::lib
