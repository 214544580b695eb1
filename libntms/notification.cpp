#include "notification.hpp"

#include "text.hpp"

#include <map>
#include <mutex>

namespace ntms::lib {

Notification::Notification(std::shared_ptr<Session> session, DWORD type)
    : session_(std::move(session)), wakeup_(*session_) {
    auto& sub = subscription_.emplace(*session_, wakeup_);
    if (type == NTMS_LIBREQUEST) {
        sub.add(subtree_rule(jobs_path), [this](sdbus::Message& m) { on_job_signal(m); });
        // JobNew and JobRemoved.
        sub.add(root_rule(manager_iface),
                [this](sdbus::Message& m) { on_job_signal(m); });
    } else {
        sub.add(subtree_rule(oprequests_path),
                [this](sdbus::Message& m) { on_oprequest_signal(m); });
        sub.add(root_rule("org.freedesktop.DBus.ObjectManager", std::string(oprequests_path) + "/"),
                [this](sdbus::Message& m) { on_oprequest_signal(m); });
    }
}

void Notification::push(DWORD operation, const std::string& path) {
    const auto id = path_guid(path);
    if (!id)
        return;
    if (queue_.size() >= max_queued)
        queue_.pop_front();
    queue_.push_back(NTMS_NOTIFICATIONINFORMATION{operation, *id});
}

void Notification::on_job_signal(sdbus::Message& m) {
    const std::string member = m.getMemberName();
    if (m.getPath() == root_path) {
        std::string id;
        sdbus::ObjectPath path;
        if (member == "JobNew" || member == "JobRemoved") {
            m >> id >> path;
            push(member == "JobNew" ? NTMS_OBJ_INSERT : NTMS_OBJ_DELETE, path);
        }
        return;
    }
    if (member == "PropertiesChanged")
        push(NTMS_OBJ_UPDATE, m.getPath());
    else if (member == "Completed")
        push(NTMS_EVENT_COMPLETE, m.getPath());
}

void Notification::on_oprequest_signal(sdbus::Message& m) {
    const std::string member = m.getMemberName();
    if (m.getPath() == root_path) {
        sdbus::ObjectPath path;
        if (member == "InterfacesAdded" || member == "InterfacesRemoved") {
            m >> path;
            push(member == "InterfacesAdded" ? NTMS_OBJ_INSERT : NTMS_OBJ_DELETE, path);
        }
        return;
    }
    if (member == "PropertiesChanged")
        push(NTMS_OBJ_UPDATE, m.getPath());
}

DWORD Notification::wait(NTMS_NOTIFICATIONINFORMATION& out, DWORD timeout) {
    const Deadline deadline(timeout);
    Session& s = *session_;
    Session::Hold hold(s);
    for (;;) {
        s.dispatch();
        if (closed_ || s.closed()) {
            wakeup_.kick(); // the next thread waiting on this notification learns it too
            return ERROR_INVALID_HANDLE;
        }
        if (!queue_.empty()) {
            out = queue_.front();
            queue_.pop_front();
            if (!queue_.empty())
                wakeup_.kick(); // for another thread waiting on this notification
            return ERROR_SUCCESS;
        }
        if (subscription_->daemon_left()) {
            subscription_->clear_daemon_left();
            return ERROR_NOT_READY;
        }
        if (deadline.passed())
            return ERROR_TIMEOUT;
        const auto bus = s.poll_data();
        hold.release();
        wakeup_.sleep(bus, deadline);
        hold.acquire();
    }
}

void Notification::close() {
    Session::Hold hold(*session_);
    closed_ = true;
    subscription_.reset();
    queue_.clear();
    wakeup_.kick();
}

namespace {

HandleTable<Notification>& notifications() {
    static HandleTable<Notification> table;
    return table;
}

} // namespace

HANDLE register_notification(std::shared_ptr<Notification> n) {
    return notifications().add(std::move(n));
}

std::shared_ptr<Notification> find_notification(HANDLE h) {
    return notifications().find(h);
}

std::shared_ptr<Notification> unregister_notification(HANDLE h) {
    return notifications().remove(h);
}

} // namespace ntms::lib
