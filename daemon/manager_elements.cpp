// Library.ListElements: the catalogue's element ranges and free slots with the store's media; no
// SCSI (the worker keeps the catalogue current), one short read of the store, as ListMedia.
#include "daemon/library/library.hpp"
#include "daemon/manager.hpp"
#include "daemon/registry/registry.hpp"
#include "daemon/store/shared_store.hpp"

namespace ntms {

Expected<std::vector<ElementEntry>> Manager::elements(const Guid& id, const Caller& who) {
    auto lib = with_right(id, who, Right::Use);
    if (!lib)
        return lib.error();
    auto [ranges, free_slots] = (*lib)->catalogue().element_ranges();
    auto media = db_.with([&](Store& s) { return s.list_media(id); });
    if (!media)
        return media.error();
    return list_elements(ranges, free_slots, *media);
}

} // namespace ntms
