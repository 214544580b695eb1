// A medium's type, derived from what is known of it: its bar code, else the library it is in.
// ntmsd does not read cartridge memory or tape labels (no drives yet), so the bar code's media
// identifier is the only fact about the cartridge itself.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ntms {

struct MediaType {
    // "LTO-8", "LTO-8 WORM", "LTO-M8", "LTO cleaning cartridge"; "<vendor> <product> cartridge"
    // for a medium whose bar code says nothing, in a library that reports its product; else
    // "unknown". The name is the type's identity: the same name is the same type.
    std::string name;
    uint32_t generation = 0; // LTO generation, 0 when not an LTO data cartridge
    bool worm = false;       // write once (LTO's LT..LZ)
    bool cleaner = false;    // a cleaning cartridge (CLN... bar codes)
};

// The LTO bar code convention: eight characters, the last two the media identifier: L1..L9 data
// cartridges of generations 1..9, LT..LZ WORM cartridges of generations 3..9, M8 the LTO-7
// Type M cartridge (formatted for LTO-8 drives), a "CLN" volume serial a cleaning cartridge.
// Trailing blanks (volume tags are padded with them) are ignored; letters in any case.
MediaType media_type_of(std::string_view barcode, std::string_view vendor,
                        std::string_view product);

} // namespace ntms
