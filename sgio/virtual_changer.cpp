// The virtual changer as a Transport: one command or operator action at a time per instance
// (the mutex), and one at a time across processes sharing a state file (its lock).
#include "virtual_changer.hpp"

#include "virtual_changer_commands.hpp"
#include "virtual_changer_state.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <functional>

namespace sgio {

namespace {

using detail::VcElement;
using detail::VcModel;
using Cfg = VirtualChangerConfig;

// One unit of work on the model: lock the state file, pick up other processes' changes, and on
// commit write ours back. Callers hold the instance mutex.
class Session {
public:
    Session(VcModel& m, const Cfg& c) : m_(m), c_(c) {}
    ~Session() {
        if (locked_)
            m_.file.unlock();
    }
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    Result<void> begin() {
        if (!m_.file.enabled())
            return {};
        if (auto r = m_.file.lock(); !r)
            return r;
        locked_ = true;
        detail::VcParsed parsed;
        auto r = m_.file.load_if_changed(parsed);
        if (!r)
            return std::move(r).error();
        if (*r) {
            if (!detail::same_geometry(parsed.config, c_))
                return make_error(Errc::DeviceGone,
                                  fmt::format("state file {} now describes another library ({})",
                                              m_.file.path(),
                                              detail::geometry_text(parsed.config)));
            m_.data = std::move(parsed.state);
            m_.dirty = false;
        }
        m_.expire_prevention();
        return {};
    }

    Result<void> commit() {
        const bool dirty = m_.dirty;
        m_.dirty = false;
        if (!dirty || !m_.file.enabled())
            return {};
        auto r = m_.file.save(m_.data);
        if (!r)
            m_.file.forget(); // our copy is ahead of the file: reread it next time
        return r;
    }

private:
    VcModel& m_;
    const Cfg& c_;
    bool locked_ = false;
};

Result<void> transact(VcModel& m, const Cfg& c, const std::function<Result<void>()>& action) {
    Session s(m, c);
    if (auto r = s.begin(); !r)
        return r;
    auto r = action();
    if (auto saved = s.commit(); !saved)
        return saved;
    return r;
}

Error operator_error(std::string message) {
    return make_error(Errc::InvalidArgument, std::move(message));
}

// The operator reaches an import/export element while the port is extended. With the port
// retracted, an insert or removal is a whole access on its own (push a cartridge through the
// slot, or pull the magazine, change it, push it back), which PREVENT MEDIUM REMOVAL forbids.
Result<VcElement*> reachable_ie(VcModel& m, uint16_t address) {
    VcElement* e = m.data.find(address);
    if (!e || e->type != ElementType::ImportExport)
        return operator_error(fmt::format("{} is not an import/export element", address));
    if (!m.data.port_open && m.data.prevented)
        return operator_error("the port is locked: medium removal is prevented");
    return e;
}

} // namespace

VirtualChanger::VirtualChanger(VirtualChangerConfig config)
    : config_(std::move(config)), state_(std::make_unique<State>()) {}

VirtualChanger::~VirtualChanger() = default;

Result<std::unique_ptr<VirtualChanger>> VirtualChanger::open(VirtualChangerConfig config) {
    if (auto v = detail::validate_config(config); !v)
        return std::move(v).error();
    std::unique_ptr<VirtualChanger> vc(new VirtualChanger(std::move(config)));
    const Cfg& c = vc->config_;
    State& m = *vc->state_;
    m.power_on_pending = c.power_on_unit_attention;
    if (c.state_file.empty()) {
        m.data = detail::initial_state(c);
        return vc;
    }
    if (auto r = m.file.attach(c.state_file); !r)
        return std::move(r).error();
    if (auto r = m.file.lock(); !r)
        return std::move(r).error();
    struct Unlock {
        detail::VcStateFile& f;
        ~Unlock() { f.unlock(); }
    } unlock{m.file};
    auto exists = m.file.exists();
    if (!exists)
        return std::move(exists).error();
    if (!*exists) {
        m.data = detail::initial_state(c);
        if (auto r = m.file.create(c, m.data); !r)
            return std::move(r).error();
        return vc;
    }
    detail::VcParsed parsed;
    if (auto r = m.file.load_if_changed(parsed); !r)
        return std::move(r).error();
    if (!detail::same_geometry(parsed.config, c))
        return make_error(Errc::OpenFailed,
                          fmt::format("state file {} describes {}, the configuration says {}",
                                      c.state_file, detail::geometry_text(parsed.config),
                                      detail::geometry_text(c)));
    m.data = std::move(parsed.state);
    return vc;
}

std::string VirtualChanger::name() const {
    return "sim:" + config_.name;
}

Result<CommandResult> VirtualChanger::execute(std::span<const uint8_t> cdb, Direction direction,
                                              std::span<uint8_t> buffer,
                                              std::chrono::milliseconds /*timeout*/) {
    if (cdb.empty() || cdb.size() > 16)
        return make_error(Errc::InvalidArgument, "a CDB has 1 to 16 bytes");
    if (cdb.size() < detail::cdb_length(cdb[0]))
        return make_error(Errc::InvalidArgument,
                          fmt::format("CDB of opcode {:02X}h needs {} bytes, got {}", cdb[0],
                                      detail::cdb_length(cdb[0]), cdb.size()));
    std::lock_guard lock(mutex_);
    State& m = *state_;
    if (m.vanished)
        return make_error(Errc::DeviceGone, name() + ": device is gone");

    CommandResult res;
    res.residual = direction == Direction::FromDevice ? buffer.size() : 0;
    auto fault = std::find_if(faults_.begin(), faults_.end(),
                              [&](const Fault& f) { return !f.opcode || *f.opcode == cdb[0]; });
    if (fault != faults_.end() && fault->after > 0) {
        --fault->after; // this one still works
        fault = faults_.end();
    }
    if (fault != faults_.end()) {
        const Fault f = *fault;
        if (--fault->count == 0)
            faults_.erase(fault);
        switch (f.kind) {
        case Fault::Kind::Vanish:
            m.vanished = true;
            return make_error(Errc::DeviceGone, name() + ": device is gone");
        case Fault::Kind::Timeout:
            return make_error(Errc::Timeout,
                              fmt::format("{}: command {:02X}h timed out", name(), cdb[0]));
        case Fault::Kind::Busy:
            res.status = status::Busy;
            return res;
        case Fault::Kind::Sense:
            break;
        }
        res.status = status::CheckCondition;
        res.sense_bytes = detail::fixed_sense(f.key, f.asc, f.ascq);
        res.sense.valid = true;
        res.sense.response_code = 0x70;
        res.sense.key = f.key;
        res.sense.asc = f.asc;
        res.sense.ascq = f.ascq;
        return res;
    }

    Session session(m, config_);
    if (auto r = session.begin(); !r) {
        Error e = std::move(r).error();
        if (e.code == Errc::OpenFailed) // the file went bad under us: the device cannot answer
            e.code = Errc::TransportFailed;
        return e;
    }
    const detail::VcReply reply = detail::run_command(config_, m, cdb);
    if (auto r = session.commit(); !r)
        return std::move(r).error();

    res.status = reply.status;
    if (reply.status == status::CheckCondition) {
        res.sense_bytes =
            detail::fixed_sense(reply.key, reply.asc, reply.ascq, reply.field, reply.bit);
        res.sense.valid = true;
        res.sense.response_code = 0x70;
        res.sense.key = reply.key;
        res.sense.asc = reply.asc;
        res.sense.ascq = reply.ascq;
        res.sense.field_pointer = reply.field;
        res.sense.field_in_cdb = reply.field.has_value();
    }
    if (reply.has_data && direction == Direction::FromDevice) {
        const size_t n = std::min({size_t{reply.allocation}, buffer.size(), reply.data.size()});
        std::copy_n(reply.data.begin(), n, buffer.begin());
        res.transferred = n;
        res.residual = buffer.size() - n;
    }
    return res;
}

Result<void> VirtualChanger::operator_insert(uint16_t ie_address, const std::string& barcode) {
    if (!detail::valid_barcode(barcode))
        return operator_error(fmt::format(
            "barcode '{}': up to 32 printable characters without blanks, '?' or '*'", barcode));
    std::lock_guard lock(mutex_);
    State& m = *state_;
    return transact(m, config_, [&]() -> Result<void> {
        auto reached = reachable_ie(m, ie_address);
        if (!reached)
            return std::move(reached).error();
        VcElement* e = *reached;
        if (e->full)
            return operator_error(fmt::format("import/export element {} is full", ie_address));
        e->full = true;
        e->barcode = barcode;
        e->impexp = true;
        e->svalid = false;
        e->source = 0;
        m.dirty = true;
        // Through a retracted port this was a complete access; an extended one reports at close.
        if (!m.data.port_open)
            m.raise(0x28, 0x01);
        return {};
    });
}

Result<void> VirtualChanger::operator_remove(uint16_t ie_address) {
    std::lock_guard lock(mutex_);
    State& m = *state_;
    return transact(m, config_, [&]() -> Result<void> {
        auto reached = reachable_ie(m, ie_address);
        if (!reached)
            return std::move(reached).error();
        VcElement* e = *reached;
        if (!e->full)
            return operator_error(fmt::format("import/export element {} is empty", ie_address));
        *e = VcElement{e->type, e->address};
        m.dirty = true;
        if (!m.data.port_open)
            m.raise(0x28, 0x01);
        return {};
    });
}

Result<void> VirtualChanger::operator_open_port() {
    if (config_.ie_count == 0)
        return make_error(Errc::Unsupported, name() + " has no import/export port");
    std::lock_guard lock(mutex_);
    State& m = *state_;
    return transact(m, config_, [&]() -> Result<void> {
        if (m.data.port_open)
            return {};
        if (m.data.prevented)
            return operator_error("the port is locked: medium removal is prevented");
        m.data.port_open = true;
        m.dirty = true;
        return {};
    });
}

Result<void> VirtualChanger::operator_close_port() {
    if (config_.ie_count == 0)
        return make_error(Errc::Unsupported, name() + " has no import/export port");
    std::lock_guard lock(mutex_);
    State& m = *state_;
    return transact(m, config_, [&]() -> Result<void> {
        if (!m.data.port_open)
            return {};
        m.data.port_open = false;
        m.dirty = true;
        m.raise(0x28, 0x01);
        return {};
    });
}

Result<void> VirtualChanger::operator_open_door() {
    if (!config_.door)
        return make_error(Errc::Unsupported, name() + " has no door");
    std::lock_guard lock(mutex_);
    State& m = *state_;
    return transact(m, config_, [&]() -> Result<void> {
        if (m.data.door_open)
            return {};
        // The door lock follows PREVENT MEDIUM REMOVAL like the port does.
        if (m.data.prevented)
            return operator_error("the door is locked: medium removal is prevented");
        m.data.door_open = true;
        m.dirty = true;
        return {};
    });
}

Result<void> VirtualChanger::operator_close_door() {
    if (!config_.door)
        return make_error(Errc::Unsupported, name() + " has no door");
    std::lock_guard lock(mutex_);
    State& m = *state_;
    return transact(m, config_, [&]() -> Result<void> {
        if (!m.data.door_open)
            return {};
        m.data.door_open = false;
        m.dirty = true;
        m.raise(0x28, 0x00);
        return {};
    });
}

Result<void> VirtualChanger::place(uint16_t address, const std::string& barcode) {
    if (!detail::valid_barcode(barcode))
        return operator_error(fmt::format(
            "barcode '{}': up to 32 printable characters without blanks, '?' or '*'", barcode));
    std::lock_guard lock(mutex_);
    State& m = *state_;
    return transact(m, config_, [&]() -> Result<void> {
        VcElement* e = m.data.find(address);
        if (!e || e->type == ElementType::Transport)
            return operator_error(fmt::format("{} is not a storage, drive or import/export "
                                              "element",
                                              address));
        if (e->full)
            return operator_error(fmt::format("element {} is full", address));
        *e = VcElement{e->type, e->address, true, barcode};
        m.dirty = true;
        return {};
    });
}

void VirtualChanger::inject_fault(Fault fault) {
    if (fault.count == 0)
        return;
    std::lock_guard lock(mutex_);
    faults_.push_back(fault);
}

void VirtualChanger::clear_faults() {
    std::lock_guard lock(mutex_);
    faults_.clear();
    state_->vanished = false;
}

Result<ElementStatus> VirtualChanger::element(uint16_t address) const {
    std::lock_guard lock(mutex_);
    Session s(*state_, config_);
    if (auto r = s.begin(); !r)
        return std::move(r).error();
    const VcElement* e = state_->data.find(address);
    if (!e)
        return make_error(Errc::InvalidArgument, fmt::format("no element at address {}", address));
    return detail::element_status_of(config_, *state_, *e);
}

std::vector<ElementStatus> VirtualChanger::elements(ElementType type) const {
    std::lock_guard lock(mutex_);
    Session s(*state_, config_);
    (void)s.begin(); // on failure: the last state we saw
    std::vector<ElementStatus> out;
    for (const auto& e : state_->data.elements)
        if (type == ElementType::All || e.type == type)
            out.push_back(detail::element_status_of(config_, *state_, e));
    return out;
}

bool VirtualChanger::prevented() const {
    std::lock_guard lock(mutex_);
    Session s(*state_, config_);
    (void)s.begin();
    return state_->data.prevented;
}

bool VirtualChanger::port_open() const {
    std::lock_guard lock(mutex_);
    Session s(*state_, config_);
    (void)s.begin();
    return state_->data.port_open;
}

bool VirtualChanger::door_open() const {
    std::lock_guard lock(mutex_);
    Session s(*state_, config_);
    (void)s.begin();
    return state_->data.door_open;
}

std::vector<std::pair<uint8_t, uint8_t>> VirtualChanger::pending_unit_attentions() const {
    std::lock_guard lock(mutex_);
    Session s(*state_, config_);
    (void)s.begin();
    std::vector<std::pair<uint8_t, uint8_t>> out;
    if (state_->power_on_pending)
        out.emplace_back(0x29, 0x00);
    for (const auto& ua : state_->data.unit_attentions)
        out.emplace_back(ua.asc, ua.ascq);
    return out;
}

} // namespace sgio
