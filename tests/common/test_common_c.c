/*
 * The headers of common/ from C99 with -pedantic, as ntmsctl includes them: the GUID text and the
 * X-macro lists, expanded the way a C program does. TAP.
 */
#include "common/ntms_guid.h"
#include "common/ntms_vocabulary.h"

#include <stdio.h>
#include <string.h>

static int tests, failures;

static void ok(int pass, const char* what) {
    ++tests;
    if (!pass)
        ++failures;
    printf("%s %d - %s\n", pass ? "ok" : "not ok", tests, what);
}

struct term {
    unsigned long value;
    const char* constant;
    const char* name;
};

#define TERM(constant, value, Name, name) {value, #constant, name},
static const struct term job_states[] = {NTMS_JOB_STATES(TERM)};
static const struct term operations[] = {NTMS_OPERATIONS(TERM)};
#undef TERM

#define ERROR_CASE(constant, code, Name, where, text)                                              \
    case code:                                                                                     \
        return text;
static const char* error_text(unsigned long code) {
    switch (code) {
        NTMS_ERRORS(ERROR_CASE)
    default:
        return NULL;
    }
}
#undef ERROR_CASE

#define BUS_COUNT(constant, code, Name, where, text) +((where) == NTMS_BUS)
static const int bus_errors = 0 NTMS_ERRORS(BUS_COUNT);
#undef BUS_COUNT

int main(void) {
    static const char sample[] = "0123abcd-4567-89ef-a0b1-c2d3e4f5a6b7";
    uint8_t bytes[16], copy[16];
    char text[NTMS_GUID_TEXT_SIZE], hex[NTMS_GUID_HEX_SIZE];
    uint32_t d1;
    uint16_t d2, d3;
    uint8_t d4[8];

    printf("1..10\n");
    ok(ntms_guid_parse(sample, strlen(sample), bytes) && bytes[0] == 0x01 && bytes[15] == 0xb7,
       "a GUID is parsed");
    ntms_guid_format(bytes, text);
    ok(strcmp(text, sample) == 0, "and formatted back");
    ntms_guid_format_hex(bytes, hex);
    ok(ntms_guid_parse(hex, 32, copy) && memcmp(copy, bytes, 16) == 0,
       "the 32-digit form is parsed");
    ok(!ntms_guid_parse("{0123abcd-4567-89ef-a0b1-c2d3e4f5a6b7}", 38, copy) &&
           !ntms_guid_parse("0123abcd_4567-89ef-a0b1-c2d3e4f5a6b7", 36, copy),
       "braces and misplaced dashes are refused");
    ntms_guid_to_fields(bytes, &d1, &d2, &d3, d4);
    ok(d1 == 0x0123abcdu && d2 == 0x4567u && d3 == 0x89efu && d4[0] == 0xa0 && d4[7] == 0xb7,
       "RSM's fields follow the text");
    ntms_guid_from_fields(d1, d2, d3, d4, copy);
    ok(memcmp(copy, bytes, 16) == 0, "and give the bytes back");
    ok(strcmp(job_states[1].constant, "NTMS_LM_INPROCESS") == 0 && job_states[1].value == 1 &&
           strcmp(job_states[1].name, "inprocess") == 0,
       "job states expand in C");
    ok(strcmp(operations[4].constant, "NTMS_LM_INJECT") == 0 && operations[4].value == 12,
       "operation kinds carry RSM's codes");
    ok(error_text(4322) && strcmp(error_text(4322), "library full") == 0 && !error_text(4999),
       "errors expand into a switch");
    ok(bus_errors > 0, "the bus/local column is a constant expression");
    return failures ? 1 : 0;
}
