// Library.DescribeMedia and Library.TimeCreated: each medium with its details, and the library's
// creation time, for the RSM objects libntms builds (media types, pools, partitions). Served as
// ListMedia is: read on the reader's thread, USE access checked there by the manager; the
// details, Variants, are made on the bus thread.
#include "daemon/media_type.hpp"
#include "dbus/library_adaptor.hpp"

namespace ntms::dbus {

void LibraryAdaptor::DescribeMedia(sdbus::Result<std::vector<Described>>&& result) {
    using Read = std::pair<std::vector<MediumRecord>, std::map<Guid, uint32_t>>;
    guarded(ctx_, [&] {
        const LibrarySnapshot lib = read();
        answer_with_read<Read>(
            ctx_, std::move(result),
            [&manager = ctx_.manager, id = last_.id, caller = caller_for(ctx_, last_.id)] {
                return Read(value_or_throw(manager.media(id, caller)),
                            value_or_throw(manager.cleanings_left(id, caller)));
            },
            [vendor = lib.vendor, product = lib.product](Read&& got) {
                const auto& [media, left] = got;
                std::vector<Described> out;
                out.reserve(media.size());
                for (const auto& m : media) {
                    const MediaType type = media_type_of(m.barcode, vendor, product);
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
                return std::tuple(std::move(out));
            });
    });
}

uint64_t LibraryAdaptor::TimeCreated() {
    return guarded([&] { return static_cast<uint64_t>(read().created); });
}

} // namespace ntms::dbus
