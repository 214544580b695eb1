#include "daemon/library/elements.hpp"

#include <algorithm>
#include <unordered_map>

namespace ntms {

const char* element_kind_name(ElementKind kind) {
    switch (kind) {
    case ElementKind::Transport:
        return "transport";
    case ElementKind::Storage:
        return "storage";
    case ElementKind::Port:
        return "port";
    case ElementKind::Drive:
        return "drive";
    }
    return "unknown";
}

std::vector<ElementEntry> list_elements(const std::vector<ElementRange>& ranges,
                                        const std::vector<uint16_t>& free_slots,
                                        const std::vector<MediumRecord>& media) {
    std::unordered_map<uint16_t, const MediumRecord*> at;
    for (const auto& m : media)
        if (m.element && m.state != MediumState::Gone)
            at.emplace(*m.element, &m); // the first record of an address wins
    std::vector<ElementEntry> out;
    size_t total = 0;
    for (const auto& r : ranges)
        total += r.count;
    out.reserve(total);
    for (const auto& r : ranges) {
        for (uint32_t i = 0; i < r.count; ++i) {
            ElementEntry e;
            e.address = static_cast<uint16_t>(r.first + i);
            e.kind = r.kind;
            if (auto it = at.find(e.address); it != at.end())
                e.medium = *it->second;
            e.full = e.medium.has_value() ||
                     (r.kind == ElementKind::Storage &&
                      !std::binary_search(free_slots.begin(), free_slots.end(), e.address));
            out.push_back(std::move(e));
        }
    }
    std::sort(out.begin(), out.end(),
              [](const ElementEntry& a, const ElementEntry& b) { return a.address < b.address; });
    return out;
}

} // namespace ntms
