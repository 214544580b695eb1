// The fuzz targets without libFuzzer: replays the seed corpus, then a fixed number of inputs made
// from it by stacked random mutations. The generator is seeded, so a run is the same every time
// and a failure names the input that reproduces it. Built by the normal (gcc) build for make
// check's short run; make fuzz links the same targets with libFuzzer instead of this file.
//
//   fuzz_NAME [--runs=N] [--seed=S] [--dict=FILE] [--max-len=N] PATH...
//
// PATH is a seed file or a directory of them. --dict takes a dictionary in libFuzzer's format
// (one "token" a line, \\ \" and \xNN escapes, # comments), the same file make fuzz passes.
#include "fuzz.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

namespace {

using Bytes = std::vector<uint8_t>;

struct Seed {
    std::string name;
    Bytes bytes;
};

// splitmix64: small, fast, and the same sequence on every machine.
class Rng {
public:
    explicit Rng(uint64_t seed) : state_(seed) {}
    uint64_t next() {
        uint64_t z = (state_ += 0x9e3779b97f4a7c15u);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
        return z ^ (z >> 31);
    }
    // 0 .. n-1; n > 0.
    size_t below(size_t n) { return static_cast<size_t>(next() % n); }
    bool chance(unsigned one_in) { return below(one_in) == 0; }

private:
    uint64_t state_;
};

// Values that sit on the edges parsers check: zero, one, sign bits, all ones, blanks, separators.
constexpr std::array<uint8_t, 14> interesting_bytes = {0x00, 0x01, 0x02, 0x03, 0x04, 0x08, 0x20,
                                                       0x7f, 0x80, 0xfe, 0xff, '\n', '=',  ','};

class Mutator {
public:
    Mutator(uint64_t seed, const std::vector<Seed>& seeds, const std::vector<Bytes>& dictionary,
            size_t max_len)
        : rng_(seed), seeds_(seeds), dictionary_(dictionary), max_len_(max_len) {}

    Bytes next() {
        Bytes b = seeds_.empty() ? Bytes{} : seeds_[rng_.below(seeds_.size())].bytes;
        // Mostly one or two changes, so most inputs stay close to a valid one and get deep.
        const size_t n = 1 + (rng_.chance(2) ? 0 : rng_.below(rng_.chance(4) ? 16 : 4));
        for (size_t i = 0; i < n; ++i)
            mutate(b);
        if (b.size() > max_len_)
            b.resize(max_len_);
        return b;
    }

private:
    size_t pos(const Bytes& b) { return rng_.below(b.size()); }
    size_t pos_or_end(const Bytes& b) { return rng_.below(b.size() + 1); }

    // A big-endian number written over the input: lengths and counts are where parsers go wrong,
    // so the values are relative to the input's own size as often as not.
    void put_number(Bytes& b) {
        const size_t width = 1 + rng_.below(3);
        if (b.size() < width)
            return;
        const size_t at = rng_.below(b.size() - width + 1);
        const uint64_t rest = b.size() - at;
        const std::array<uint64_t, 8> values = {0,        1,        rest,     rest - 1,
                                                rest + 1, rest - 8, 0xffffff, rng_.below(64)};
        uint64_t v = values[rng_.below(values.size())];
        for (size_t i = width; i-- > 0; v >>= 8)
            b[at + i] = static_cast<uint8_t>(v);
    }

    void mutate(Bytes& b) {
        switch (rng_.below(b.empty() ? 2 : 12)) {
        case 0: { // insert random bytes
            const size_t at = pos_or_end(b);
            const size_t n = 1 + rng_.below(8);
            for (size_t i = 0; i < n; ++i)
                b.insert(b.begin() + static_cast<std::ptrdiff_t>(at),
                         static_cast<uint8_t>(rng_.next()));
            break;
        }
        case 1: { // insert a dictionary token, or an interesting byte without one
            const size_t at = pos_or_end(b);
            if (dictionary_.empty()) {
                b.insert(b.begin() + static_cast<std::ptrdiff_t>(at),
                         interesting_bytes[rng_.below(interesting_bytes.size())]);
                break;
            }
            const Bytes& token = dictionary_[rng_.below(dictionary_.size())];
            b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), token.begin(), token.end());
            break;
        }
        case 2:
            b[pos(b)] ^= static_cast<uint8_t>(1u << rng_.below(8));
            break;
        case 3:
            b[pos(b)] = static_cast<uint8_t>(rng_.next());
            break;
        case 4:
            b[pos(b)] = interesting_bytes[rng_.below(interesting_bytes.size())];
            break;
        case 5: {
            const size_t at = pos(b);
            b[at] = static_cast<uint8_t>(b[at] + (rng_.chance(2) ? 1 : 0xff));
            break;
        }
        case 6:
            put_number(b);
            break;
        case 7: { // erase a range
            const size_t at = pos(b);
            const size_t n = 1 + rng_.below(std::min<size_t>(b.size() - at, 16));
            b.erase(b.begin() + static_cast<std::ptrdiff_t>(at),
                    b.begin() + static_cast<std::ptrdiff_t>(at + n));
            break;
        }
        case 8: // cut the tail, as a short transfer does
            b.resize(pos(b));
            break;
        case 9: { // repeat a range somewhere else: more descriptors, lines or pages
            const size_t from = pos(b);
            const size_t n = 1 + rng_.below(std::min<size_t>(b.size() - from, 64));
            const Bytes piece(b.begin() + static_cast<std::ptrdiff_t>(from),
                              b.begin() + static_cast<std::ptrdiff_t>(from + n));
            b.insert(b.begin() + static_cast<std::ptrdiff_t>(pos_or_end(b)), piece.begin(),
                     piece.end());
            break;
        }
        case 10: { // overwrite with a dictionary token
            if (dictionary_.empty())
                break;
            const Bytes& token = dictionary_[rng_.below(dictionary_.size())];
            const size_t at = pos(b);
            for (size_t i = 0; i < token.size() && at + i < b.size(); ++i)
                b[at + i] = token[i];
            break;
        }
        default: { // splice: this input's head, another seed's tail
            if (seeds_.empty())
                break;
            const Bytes& other = seeds_[rng_.below(seeds_.size())].bytes;
            b.resize(pos_or_end(b));
            const size_t from = rng_.below(other.size() + 1);
            b.insert(b.end(), other.begin() + static_cast<std::ptrdiff_t>(from), other.end());
            break;
        }
        }
    }

    Rng rng_;
    const std::vector<Seed>& seeds_;
    const std::vector<Bytes>& dictionary_;
    size_t max_len_;
};

// ---- the input being run, for the crash report

const char* current_origin = "";
uint64_t current_run = 0;
const uint8_t* current_data = nullptr;
size_t current_size = 0;

void write_all(const char* s, size_t n) {
    while (n > 0) {
        const ssize_t w = ::write(STDERR_FILENO, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        s += w;
        n -= static_cast<size_t>(w);
    }
}

void write_text(const char* s) {
    write_all(s, std::strlen(s));
}

void write_number(uint64_t v) {
    char digits[24];
    size_t n = 0;
    do {
        digits[sizeof digits - ++n] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    write_all(digits + sizeof digits - n, n);
}

// Signal handlers may only write(2): no stdio, no allocation.
extern "C" void on_crash(int sig) {
    write_text("fuzz driver: crashed on ");
    write_text(current_origin);
    write_text(" (input ");
    write_number(current_run);
    write_text(", ");
    write_number(current_size);
    write_text(" bytes):");
    static constexpr char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < current_size && i < 4096; ++i) {
        const char hex[3] = {i % 32 == 0 ? '\n' : ' ', digits[current_data[i] >> 4],
                             digits[current_data[i] & 0xf]};
        write_all(hex, 3);
    }
    write_text(current_size > 4096 ? "\n...\n" : "\n");
    ::signal(sig, SIG_DFL);
    ::raise(sig);
}

void run_one(const Bytes& input, const char* origin, uint64_t run) {
    // An exact-size heap block, so that ASan sees a read one past the end.
    const auto block = std::make_unique<uint8_t[]>(std::max<size_t>(input.size(), 1));
    std::copy(input.begin(), input.end(), block.get());
    current_origin = origin;
    current_run = run;
    current_data = block.get();
    current_size = input.size();
    LLVMFuzzerTestOneInput(block.get(), input.size());
    current_size = 0;
}

std::optional<Bytes> read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return std::nullopt;
    return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// One token of a libFuzzer dictionary line: [name=]"text" with \\, \" and \xNN.
std::optional<Bytes> dictionary_token(std::string_view line) {
    const size_t open = line.find('"');
    const size_t close = line.rfind('"');
    if (open == std::string_view::npos || close <= open)
        return std::nullopt;
    const std::string_view body = line.substr(open + 1, close - open - 1);
    Bytes token;
    for (size_t i = 0; i < body.size(); ++i) {
        if (body[i] != '\\') {
            token.push_back(static_cast<uint8_t>(body[i]));
            continue;
        }
        if (i + 1 < body.size() && (body[i + 1] == '\\' || body[i + 1] == '"')) {
            token.push_back(static_cast<uint8_t>(body[++i]));
        } else if (i + 3 < body.size() && body[i + 1] == 'x' && hex_digit(body[i + 2]) >= 0 &&
                   hex_digit(body[i + 3]) >= 0) {
            token.push_back(
                static_cast<uint8_t>(hex_digit(body[i + 2]) << 4 | hex_digit(body[i + 3])));
            i += 3;
        } else {
            return std::nullopt;
        }
    }
    return token;
}

std::optional<std::vector<Bytes>> read_dictionary(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        return std::nullopt;
    std::vector<Bytes> tokens;
    std::string line;
    while (std::getline(in, line)) {
        const size_t first = line.find_first_not_of(" \t");
        if (first == std::string::npos || line[first] == '#')
            continue;
        auto token = dictionary_token(line);
        if (!token)
            return std::nullopt;
        tokens.push_back(std::move(*token));
    }
    return tokens;
}

std::optional<uint64_t> number_option(std::string_view arg, std::string_view name) {
    if (arg.substr(0, name.size()) != name)
        return std::nullopt;
    const std::string value(arg.substr(name.size()));
    char* end = nullptr;
    errno = 0;
    const unsigned long long v = std::strtoull(value.c_str(), &end, 10);
    if (value.empty() || *end != '\0' || errno != 0)
        return std::nullopt;
    return v;
}

int usage(const char* program) {
    std::fprintf(stderr,
                 "usage: %s [--runs=N] [--seed=S] [--dict=FILE] [--max-len=N] SEED-FILE|DIR...\n",
                 program);
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    uint64_t runs = 0;
    uint64_t seed = 1;
    size_t max_len = 4096;
    std::vector<Bytes> dictionary;
    std::vector<Seed> seeds;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (auto v = number_option(arg, "--runs=")) {
            runs = *v;
        } else if (auto s = number_option(arg, "--seed=")) {
            seed = *s;
        } else if (auto m = number_option(arg, "--max-len=")) {
            max_len = static_cast<size_t>(*m);
        } else if (arg.substr(0, 7) == "--dict=") {
            auto d = read_dictionary(std::string(arg.substr(7)));
            if (!d) {
                std::fprintf(stderr, "%s: cannot read dictionary %s\n", argv[0], argv[i] + 7);
                return 2;
            }
            dictionary = std::move(*d);
        } else if (arg.substr(0, 2) == "--") {
            return usage(argv[0]);
        } else {
            std::error_code ec;
            std::vector<std::filesystem::path> files;
            if (std::filesystem::is_directory(argv[i], ec)) {
                for (const auto& e : std::filesystem::directory_iterator(argv[i], ec))
                    if (e.is_regular_file())
                        files.push_back(e.path());
                std::sort(files.begin(), files.end());
            } else {
                files.emplace_back(argv[i]);
            }
            for (const auto& f : files) {
                auto b = read_file(f);
                if (!b) {
                    std::fprintf(stderr, "%s: cannot read %s\n", argv[0], f.c_str());
                    return 2;
                }
                seeds.push_back({f.filename().string(), std::move(*b)});
            }
        }
    }
    if (seeds.empty() && runs == 0)
        return usage(argv[0]);
    for (const auto& s : seeds)
        max_len = std::max(max_len, 2 * s.bytes.size());

    struct sigaction sa {};
    sa.sa_handler = on_crash;
    sigemptyset(&sa.sa_mask);
    for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL})
        sigaction(sig, &sa, nullptr);

    const auto start = std::chrono::steady_clock::now();
    uint64_t run = 0;
    for (const auto& s : seeds)
        run_one(s.bytes, s.name.c_str(), run++);
    Mutator mutator(seed, seeds, dictionary, max_len);
    const std::string origin = "a mutation (--seed=" + std::to_string(seed) + ")";
    for (uint64_t i = 0; i < runs; ++i)
        run_one(mutator.next(), origin.c_str(), run++);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%s: %zu seeds and %llu mutations in %.2f s (%.0f/s), every invariant held\n",
                std::filesystem::path(argv[0]).filename().c_str(), seeds.size(),
                static_cast<unsigned long long>(runs), seconds,
                seconds > 0 ? static_cast<double>(run) / seconds : 0.0);
    return 0;
}
