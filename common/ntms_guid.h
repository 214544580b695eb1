/*
 * GUID text, the one parser and formatter of the project (ntmsd, libntms, ntmsctl). A GUID is
 * handled as its 16 bytes in text order: "00112233-4455-..." is bytes 0x00, 0x11, 0x22, ...
 * RSM's NTMS_GUID keeps Data1..Data3 as numbers; ntms_guid_to_fields and ntms_guid_from_fields
 * convert, the text showing each number big-endian as Windows prints it. Plain C99 and C++.
 */
#ifndef NTMS_GUID_H
#define NTMS_GUID_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define NTMS_GUID_CAST_(type, value) static_cast<type>(value)
#else
#define NTMS_GUID_CAST_(type, value) ((type)(value))
#endif

#define NTMS_GUID_TEXT_SIZE 37 /* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" and its NUL */
#define NTMS_GUID_HEX_SIZE 33  /* 32 hex digits and the NUL, as in object paths */

/* Each byte's value as a hex digit, any case, or -1: a lookup, not comparisons. Parsing a
 * GUID's 32 digits with three comparisons each took about 130 ns (random digits defeat the
 * branch predictor), with the table about 15 ns; a restart of 64 libraries parses two GUIDs for
 * each of its 320,000 media records. */
/* clang-format off */
#define NTMS_GUID_NO16_ -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1
static const signed char ntms_guid_hex_[256] = {
    NTMS_GUID_NO16_, NTMS_GUID_NO16_, NTMS_GUID_NO16_,
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -1, -1, -1, -1, -1,           /* '0'..'9' */
    -1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1, /* 'A'..'F' */
    NTMS_GUID_NO16_,
    -1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1, /* 'a'..'f' */
    NTMS_GUID_NO16_, NTMS_GUID_NO16_, NTMS_GUID_NO16_, NTMS_GUID_NO16_, NTMS_GUID_NO16_,
    NTMS_GUID_NO16_, NTMS_GUID_NO16_, NTMS_GUID_NO16_, NTMS_GUID_NO16_,
};
#undef NTMS_GUID_NO16_
/* clang-format on */

/* The 8-4-4-4-12 form or 32 hex digits, any case, and nothing else: no braces, no blanks, exactly
 * length characters (a NUL among them is no digit). 1 and the bytes in out, or 0 with out
 * untouched. */
static inline int ntms_guid_parse(const char* text, size_t length, uint8_t out[16]) {
    uint8_t bytes[16];
    const int dashed = length == 36;
    size_t pos = 0, i;
    int bad = 0; /* negative once any character is not a digit: checked once, after the loop */
    if (!dashed && length != 32)
        return 0;
    for (i = 0; i < 16; ++i) {
        int hi, lo;
        if (dashed && (pos == 8 || pos == 13 || pos == 18 || pos == 23)) {
            if (text[pos] != '-')
                return 0;
            ++pos;
        }
        hi = ntms_guid_hex_[NTMS_GUID_CAST_(unsigned char, text[pos])];
        lo = ntms_guid_hex_[NTMS_GUID_CAST_(unsigned char, text[pos + 1])];
        bad |= hi | lo;
        bytes[i] = NTMS_GUID_CAST_(uint8_t, NTMS_GUID_CAST_(unsigned, hi) << 4 |
                                                NTMS_GUID_CAST_(unsigned, lo));
        pos += 2;
    }
    if (bad < 0)
        return 0;
    for (i = 0; i < 16; ++i)
        out[i] = bytes[i];
    return 1;
}

static inline char ntms_guid_digit_(unsigned value) {
    return "0123456789abcdef"[value & 0xfu];
}

/* Lowercase 8-4-4-4-12, NUL-terminated. */
static inline void ntms_guid_format(const uint8_t bytes[16], char out[NTMS_GUID_TEXT_SIZE]) {
    size_t i, pos = 0;
    for (i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[pos++] = '-';
        out[pos++] = ntms_guid_digit_(NTMS_GUID_CAST_(unsigned, bytes[i] >> 4));
        out[pos++] = ntms_guid_digit_(bytes[i]);
    }
    out[pos] = '\0';
}

/* 32 lowercase hex digits, NUL-terminated: the last element of an object path. */
static inline void ntms_guid_format_hex(const uint8_t bytes[16], char out[NTMS_GUID_HEX_SIZE]) {
    size_t i;
    for (i = 0; i < 16; ++i) {
        out[2 * i] = ntms_guid_digit_(NTMS_GUID_CAST_(unsigned, bytes[i] >> 4));
        out[2 * i + 1] = ntms_guid_digit_(bytes[i]);
    }
    out[32] = '\0';
}

/* Bytes in text order to RSM's fields: Data1..Data3 big-endian as written, then Data4. */
static inline void ntms_guid_to_fields(const uint8_t bytes[16], uint32_t* data1, uint16_t* data2,
                                       uint16_t* data3, uint8_t data4[8]) {
    size_t i;
    *data1 = NTMS_GUID_CAST_(uint32_t, bytes[0]) << 24 | NTMS_GUID_CAST_(uint32_t, bytes[1]) << 16 |
             NTMS_GUID_CAST_(uint32_t, bytes[2]) << 8 | bytes[3];
    *data2 = NTMS_GUID_CAST_(uint16_t, bytes[4] << 8 | bytes[5]);
    *data3 = NTMS_GUID_CAST_(uint16_t, bytes[6] << 8 | bytes[7]);
    for (i = 0; i < 8; ++i)
        data4[i] = bytes[8 + i];
}

static inline void ntms_guid_from_fields(uint32_t data1, uint16_t data2, uint16_t data3,
                                         const uint8_t data4[8], uint8_t bytes[16]) {
    size_t i;
    for (i = 0; i < 4; ++i)
        bytes[i] = NTMS_GUID_CAST_(uint8_t, data1 >> (24 - 8 * i));
    bytes[4] = NTMS_GUID_CAST_(uint8_t, data2 >> 8);
    bytes[5] = NTMS_GUID_CAST_(uint8_t, data2);
    bytes[6] = NTMS_GUID_CAST_(uint8_t, data3 >> 8);
    bytes[7] = NTMS_GUID_CAST_(uint8_t, data3);
    for (i = 0; i < 8; ++i)
        bytes[8 + i] = data4[i];
}

/* A side of a physical medium (RSM's NTMS_PARTITION; a tape has one, side 0) has a GUID of its
 * own, made from its medium's: the bytes XOR a fixed mask, with the side number in the last two
 * bytes. For side 0 the making is its own inverse: made from a side's GUID, it gives back the
 * medium's. ntmsd takes a side's GUID wherever RSM names "media or sides". */
static inline void ntms_guid_side(const uint8_t medium[16], uint16_t side, uint8_t out[16]) {
    static const uint8_t mask[16] = {0x91, 0x2e, 0xc3, 0x5a, 0xb0, 0x47, 0x00, 0x00,
                                     0x00, 0x00, 0xe6, 0x18, 0x7d, 0x3f, 0x00, 0x00};
    size_t i;
    for (i = 0; i < 16; ++i)
        out[i] = NTMS_GUID_CAST_(uint8_t, medium[i] ^ mask[i]);
    out[14] = NTMS_GUID_CAST_(uint8_t, out[14] ^ (side >> 8));
    out[15] = NTMS_GUID_CAST_(uint8_t, out[15] ^ (side & 0xffu));
}

#endif
