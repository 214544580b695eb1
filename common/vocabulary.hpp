// The lists of ntms_vocabulary.h as C++ tables, and the look-ups the daemon, the D-Bus error
// mapping and libntms share: one entry per code, searched, never written out again.
#pragma once

#include "common/ntms_vocabulary.h"

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace ntms::vocabulary {

struct Error {
    uint32_t code;
    const char* constant; // "ERROR_LIBRARY_FULL"
    const char* name;     // "LibraryFull": the D-Bus name after NTMS_DBUS_ERROR_PREFIX
    bool on_bus;          // ntmsd replies with the name; otherwise only libntms makes the code
    const char* text;     // "library full"
};

// A value of one of the other lists.
struct Term {
    uint32_t value;
    const char* constant; // "NTMS_LM_INPROCESS"
    const char* name;     // "inprocess"
};

#define NTMS_VOCABULARY_ERROR_(constant, code, Name, where, text)                                  \
    Error{code, #constant, #Name, (where) == NTMS_BUS, text},
#define NTMS_VOCABULARY_TERM_(constant, value, Name, name) Term{value, #constant, name},

inline constexpr std::array errors{NTMS_ERRORS(NTMS_VOCABULARY_ERROR_)};
inline constexpr std::array job_states{NTMS_JOB_STATES(NTMS_VOCABULARY_TERM_)};
inline constexpr std::array operations{NTMS_OPERATIONS(NTMS_VOCABULARY_TERM_)};
inline constexpr std::array inject_actions{NTMS_INJECT_ACTIONS(NTMS_VOCABULARY_TERM_)};
inline constexpr std::array eject_actions{NTMS_EJECT_ACTIONS(NTMS_VOCABULARY_TERM_)};
inline constexpr std::array opreq_types{NTMS_OPREQ_TYPES(NTMS_VOCABULARY_TERM_)};
inline constexpr std::array opreq_states{NTMS_OPREQ_STATES(NTMS_VOCABULARY_TERM_)};

#undef NTMS_VOCABULARY_ERROR_
#undef NTMS_VOCABULARY_TERM_

inline constexpr std::string_view dbus_error_prefix = NTMS_DBUS_ERROR_PREFIX;

// nullptr for a code the table does not have.
constexpr const Error* find_error(uint32_t code) {
    for (const auto& e : errors)
        if (e.code == code)
            return &e;
    return nullptr;
}

// The error whose D-Bus name (without the prefix) this is; nullptr for others and for names of
// codes that do not travel on the bus.
constexpr const Error* find_bus_error(std::string_view name) {
    for (const auto& e : errors)
        if (e.on_bus && name == e.name)
            return &e;
    return nullptr;
}

constexpr const Term* find(std::span<const Term> terms, uint32_t value) {
    for (const auto& t : terms)
        if (t.value == value)
            return &t;
    return nullptr;
}

constexpr const Term* find(std::span<const Term> terms, std::string_view name) {
    for (const auto& t : terms)
        if (name == t.name)
            return &t;
    return nullptr;
}

// The lowercase name of a value, "unknown" for values the list does not have.
constexpr const char* name_of(std::span<const Term> terms, uint32_t value) {
    const Term* t = find(terms, value);
    return t ? t->name : "unknown";
}

constexpr const char* job_state_name(uint32_t state) {
    return name_of(job_states, state);
}

// "inject" for NTMS_LM_INJECT (12), "unknown" for a code that is no operation of ours.
constexpr const char* operation_name(uint32_t code) {
    return name_of(operations, code);
}

// The reverse of operation_name for the names of the list.
constexpr std::optional<uint32_t> operation_code(std::string_view name) {
    const Term* t = find(operations, name);
    return t ? std::optional<uint32_t>(t->value) : std::nullopt;
}

} // namespace ntms::vocabulary
