// Every element of a library, as any thread may list it without SCSI: the element ranges and the
// free storage slots its worker last read (Catalogue), with the medium the store records at each
// address. A medium appears at one element at most, so the list names each medium once, and the
// element's kind says where it is (a slot, a port, a drive).
#pragma once

#include "daemon/model.hpp"

#include <cstdint>
#include <optional>
#include <vector>

namespace ntms {

// The element type codes of SMC-3 (READ ELEMENT STATUS).
enum class ElementKind : uint8_t { Transport = 1, Storage = 2, Port = 3, Drive = 4 };

// "transport", "storage", "port", "drive".
const char* element_kind_name(ElementKind kind);

// A run of elements of one kind: first address and count (mode page 1Dh).
struct ElementRange {
    ElementKind kind = ElementKind::Storage;
    uint16_t first = 0;
    uint16_t count = 0;
};

struct ElementEntry {
    uint16_t address = 0;
    ElementKind kind = ElementKind::Storage;
    bool full = false;
    std::optional<MediumRecord> medium; // the medium recorded there; none when empty or unknown
};

// The elements of `ranges` in address order. A storage slot is full when it is not in
// free_slots (sorted ascending) or a medium is recorded there; other elements are full when a
// medium is recorded there. Media outside the library (Gone) are at no element; should two
// records name one address, the first of `media` is taken.
std::vector<ElementEntry> list_elements(const std::vector<ElementRange>& ranges,
                                        const std::vector<uint16_t>& free_slots,
                                        const std::vector<MediumRecord>& media);

} // namespace ntms
