// Library.DescribeMedia and Library.TimeCreated: each medium with its details, and the library's
// creation time, for the RSM objects libntms builds (media types, pools, partitions). Served as
// ListMedia is: one short read of the database, USE access checked by the manager.
#include "daemon/media_type.hpp"
#include "dbus/library_adaptor.hpp"

namespace ntms::dbus {

std::vector<sdbus::Struct<std::string, std::map<std::string, sdbus::Variant>>>
LibraryAdaptor::DescribeMedia() {
    return guarded(ctx_, [&] {
        auto media = value_or_throw(ctx_.manager.media(last_.id, caller_for(ctx_, last_.id)));
        const auto left =
            value_or_throw(ctx_.manager.cleanings_left(last_.id, caller_for(ctx_, last_.id)));
        const LibrarySnapshot lib = read();
        std::vector<sdbus::Struct<std::string, std::map<std::string, sdbus::Variant>>> out;
        out.reserve(media.size());
        for (const auto& m : media) {
            const MediaType type = media_type_of(m.barcode, lib.vendor, lib.product);
            std::map<std::string, sdbus::Variant> d;
            d.emplace("barcode", sdbus::Variant(m.barcode));
            d.emplace("state", sdbus::Variant(std::string(medium_state_name(m.state))));
            d.emplace("state-number", sdbus::Variant(static_cast<uint32_t>(m.state)));
            d.emplace("element", sdbus::Variant(m.element.value_or(uint16_t{0})));
            d.emplace("created", sdbus::Variant(static_cast<uint64_t>(m.created)));
            d.emplace("modified", sdbus::Variant(static_cast<uint64_t>(m.updated)));
            d.emplace("media-type", sdbus::Variant(type.name));
            d.emplace("worm", sdbus::Variant(type.worm));
            const auto cleaner = left.find(m.id);
            d.emplace("cleaner", sdbus::Variant(type.cleaner || cleaner != left.end()));
            if (cleaner != left.end())
                d.emplace("cleanings-left", sdbus::Variant(cleaner->second));
            out.emplace_back(m.id.str(), std::move(d));
        }
        return out;
    });
}

uint64_t LibraryAdaptor::TimeCreated() {
    return guarded([&] { return static_cast<uint64_t>(read().created); });
}

} // namespace ntms::dbus
