#include "snapshot_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <zlib.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#ifdef _WIN32
#include <io.h>
#include <windows.h>
#define close _close
#ifndef S_ISDIR
#define S_ISDIR(mode) (((mode)&_S_IFMT) == _S_IFDIR)
#endif
#else
#include <dlfcn.h>
#include <unistd.h>
#endif

namespace heapwatch {

namespace {

// Bytes decoded per refill; the progress callback runs once per refill.
constexpr size_t kChunk = 1 << 20;
// The header (snapshot.meta) is a few kilobytes; anything much larger is not a snapshot.
constexpr uint64_t kMaxHeaderBytes = 1 << 20;
constexpr size_t kMaxHeaderDepth = 32;
// Deflate cannot shrink data by more than this (RFC 1951: 258-byte matches in 2 bits, about
// 1032:1); it bounds what a .gz can hold when the header's counts are checked.
constexpr uint64_t kMaxDeflateRatio = 1032;
// Snapshot ids are V8's SnapshotObjectId, a uint32_t; self sizes are exact in a double.
constexpr uint64_t kMaxSelfSize = (uint64_t{1} << 53) - 1;

std::string Num(uint64_t v) {
  return std::to_string(v);
}

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s.substr(0, 60)) out += (static_cast<unsigned char>(c) < 0x20) ? '?' : c;
  if (s.size() > 60) out += "...";
  return out + "\"";
}

// What a byte looks like in an error message.
std::string Shown(int c) {
  if (c < 0) return "the end of the file";
  if (c >= 0x20 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
  char hex[16];
  snprintf(hex, sizeof hex, "byte 0x%02x", c & 0xff);
  return hex;
}

// zlib from the process: Node.js exports its bundled zlib's symbols for addons (checked on
// Node 20, 22, 24 and 26, linux-x64). Looked up at run time rather than linked, so that a
// Node.js built without them still loads the addon, and only a .gz file is refused.
struct Zlib {
  int (*inflate_init2)(z_streamp, int, const char*, int);
  int (*inflate)(z_streamp, int);
  int (*inflate_end)(z_streamp);
  int (*inflate_reset)(z_streamp);

  static const Zlib* Get() {
    static const Zlib zlib = Load();
    return zlib.inflate_init2 && zlib.inflate && zlib.inflate_end && zlib.inflate_reset ? &zlib
                                                                                        : nullptr;
  }

 private:
  template <class F>
  static F Find(const char* name) {
#ifdef _WIN32
    return reinterpret_cast<F>(GetProcAddress(GetModuleHandleW(nullptr), name));
#else
    return reinterpret_cast<F>(dlsym(RTLD_DEFAULT, name));
#endif
  }
  static Zlib Load() {
    Zlib z;
    z.inflate_init2 = Find<decltype(z.inflate_init2)>("inflateInit2_");
    z.inflate = Find<decltype(z.inflate)>("inflate");
    z.inflate_end = Find<decltype(z.inflate_end)>("inflateEnd");
    z.inflate_reset = Find<decltype(z.inflate_reset)>("inflateReset");
    return z;
  }
};

// The file's bytes, inflated when it starts with the gzip magic (not by its name).
class Input {
 public:
  Input() { memset(&zs_, 0, sizeof zs_); }
  ~Input() {
    if (inflating_) zlib_->inflate_end(&zs_);
    if (fd_ >= 0) close(fd_);
  }
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;

  bool Open(const std::string& path, ReadError* err) {
#ifdef _WIN32
    fd_ = _open(path.c_str(), _O_RDONLY | _O_BINARY);
#else
    fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
#endif
    if (fd_ < 0) return SystemError(err, "open");
    struct stat st;
    if (fstat(fd_, &st) != 0) return SystemError(err, "fstat");
    if (S_ISDIR(st.st_mode)) {
      err->message = "it is a directory, not a snapshot file";
      err->system_error = EISDIR;
      err->syscall = "open";
      return false;
    }
    size_ = static_cast<uint64_t>(st.st_size);
#ifdef POSIX_FADV_SEQUENTIAL
    posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    if (!ReadRaw(err)) return false;
    if (raw_len_ >= 2 && raw_[0] == '\x1f' && raw_[1] == '\x8b') {
      gzip_ = true;
      zlib_ = Zlib::Get();
      if (zlib_ == nullptr) {
        err->message =
            "it is gzip-compressed, and this Node.js offers no zlib to the addon: decompress it "
            "first (gunzip -k FILE)";
        return false;
      }
      // 15 + 32: a window of 2^15, gzip or zlib header detected.
      if (zlib_->inflate_init2(&zs_, 15 + 32, ZLIB_VERSION, sizeof(z_stream)) != Z_OK) {
        err->message = "zlib could not start decompressing";
        return false;
      }
      inflating_ = true;
      zs_.next_in = reinterpret_cast<Bytef*>(raw_);
      zs_.avail_in = static_cast<uInt>(raw_len_);
      raw_pos_ = raw_len_;
    }
    return true;
  }

  // Up to n bytes of snapshot text; 0 at the end, -1 on an error (then `err` says what).
  ptrdiff_t Read(char* buf, size_t n, ReadError* err) {
    if (!gzip_) {
      if (raw_pos_ < raw_len_) {
        size_t k = std::min(n, raw_len_ - raw_pos_);
        memcpy(buf, raw_ + raw_pos_, k);
        raw_pos_ += k;
        return static_cast<ptrdiff_t>(k);
      }
      for (;;) {
#ifdef _WIN32
        int r = _read(fd_, buf, static_cast<unsigned>(n));
#else
        ssize_t r = read(fd_, buf, n);
#endif
        if (r >= 0) {
          read_ += static_cast<uint64_t>(r);
          return r;
        }
        if (errno != EINTR) return SystemError(err, "read") ? 0 : -1;
      }
    }
    zs_.next_out = reinterpret_cast<Bytef*>(buf);
    zs_.avail_out = static_cast<uInt>(n);
    while (zs_.avail_out == n) {
      if (zs_.avail_in == 0) {
        if (!ReadRaw(err)) return -1;
        if (raw_len_ == 0) {
          if (stream_ended_) return 0;
          err->message = "the gzip data ends early (the .gz file is truncated)";
          return -1;
        }
        zs_.next_in = reinterpret_cast<Bytef*>(raw_);
        zs_.avail_in = static_cast<uInt>(raw_len_);
      }
      if (stream_ended_) {
        // Another gzip member follows (concatenated .gz files are one stream).
        zlib_->inflate_reset(&zs_);
        stream_ended_ = false;
      }
      int ret = zlib_->inflate(&zs_, Z_NO_FLUSH);
      if (ret == Z_STREAM_END) {
        stream_ended_ = true;
      } else if (ret != Z_OK && ret != Z_BUF_ERROR) {
        err->message = "the gzip data is corrupt near compressed byte " + Num(consumed()) + " (" +
                       (zs_.msg ? zs_.msg : "zlib error " + std::to_string(ret)) + ")";
        return -1;
      }
    }
    return static_cast<ptrdiff_t>(n - zs_.avail_out);
  }

  bool gzip() const {
    return gzip_;
  }
  uint64_t size() const {
    return size_;
  }
  // Bytes of the file consumed so far.
  uint64_t consumed() const {
    return gzip_ ? read_ - zs_.avail_in : read_ - (raw_len_ - raw_pos_);
  }

 private:
  bool ReadRaw(ReadError* err) {
    for (;;) {
#ifdef _WIN32
      int r = _read(fd_, raw_, sizeof raw_);
#else
      ssize_t r = read(fd_, raw_, sizeof raw_);
#endif
      if (r >= 0) {
        raw_len_ = static_cast<size_t>(r);
        raw_pos_ = 0;
        read_ += static_cast<uint64_t>(r);
        return true;
      }
      if (errno != EINTR) return SystemError(err, "read");
    }
  }

  static bool SystemError(ReadError* err, const char* syscall) {
    err->system_error = errno;
    err->syscall = syscall;
    err->message = strerror(errno);
    return false;
  }

  int fd_ = -1;
  uint64_t size_ = 0;
  uint64_t read_ = 0;  // bytes read from the file
  bool gzip_ = false;
  bool inflating_ = false;
  bool stream_ended_ = false;
  const Zlib* zlib_ = nullptr;
  z_stream zs_;
  char raw_[1 << 16];
  size_t raw_len_ = 0;
  size_t raw_pos_ = 0;
};

// A small JSON document (the snapshot header), parsed without recursion into an arena.
struct JsonValue {
  char type = 'n';  // n(ull) b(ool) d(ouble) s(tring) a(rray) o(bject)
  double number = 0;
  std::string text;
  std::vector<uint32_t> items;    // arrays and object values
  std::vector<std::string> keys;  // objects: one per item
};

struct Header {
  uint32_t node_fields = 0;  // values per node
  uint32_t edge_fields = 0;
  int node_type = -1, node_name = -1, node_id = -1, node_self = -1, node_edges = -1;
  int edge_type = -1, edge_name = -1, edge_to = -1;
  std::vector<NodeKind> node_kinds;  // by the number in the type field
  std::vector<EdgeKind> edge_kinds;
  uint64_t node_count = 0;
  uint64_t edge_count = 0;
};

// Which strings a report can show, as a growing bitset.
class StringMarks {
 public:
  void Mark(uint64_t i, uint64_t at) {
    size_t word = static_cast<size_t>(i >> 6);
    if (word >= bits_.size()) bits_.resize(std::max(word + 1, bits_.size() * 3 / 2), 0);
    bits_[word] |= uint64_t{1} << (i & 63);
    if (i >= max_ || !any_) {
      max_ = i;
      max_at_ = at;
      any_ = true;
    }
  }
  bool Test(uint64_t i) const {
    size_t word = static_cast<size_t>(i >> 6);
    return word < bits_.size() && (bits_[word] >> (i & 63) & 1);
  }
  // The largest string index referenced by a node or an edge, and where.
  bool any() const { return any_; }
  uint64_t max() const { return max_; }
  uint64_t max_at() const { return max_at_; }

 private:
  std::vector<uint64_t> bits_;
  uint64_t max_ = 0;
  uint64_t max_at_ = 0;
  bool any_ = false;
};

// Strings whose node names are shown: all but the contents of string nodes.
bool NameShown(NodeKind kind) {
  return kind != NodeKind::kString && kind != NodeKind::kConsString &&
         kind != NodeKind::kSlicedString;
}

class Parser {
 public:
  Parser(Input* in, ReadProgress* progress, double max_bytes, ReadError* err)
      : in_(in), progress_(progress), max_bytes_(max_bytes), err_(err), buf_(kChunk + 1) {
    cur_ = end_ = buf_.data();
    *end_ = 0;
    // The most snapshot text the file can hold, to check the header's counts against.
    limit_ = in_->gzip() ? in_->size() * kMaxDeflateRatio : in_->size();
  }

  bool Run(HeapGraph* graph) {
    if (!ExpectChar('{', "a heap snapshot is a JSON object: expected '{'")) return false;
    Header header;
    bool have_header = false, have_nodes = false, have_edges = false, have_strings = false;
    if (Peek() == '}') return Fail(Offset(), "the JSON object is empty: not a heap snapshot");
    for (;;) {
      std::string key;
      uint64_t key_at = Offset();
      if (!ReadKey(&key)) return false;
      if (!ExpectChar(':', "expected ':' after a key")) return false;
      if (key == "snapshot") {
        if (!ParseHeader(&header, graph)) return false;
        have_header = true;
      } else if (key == "nodes") {
        if (!have_header) return Fail(key_at, "\"nodes\" comes before the \"snapshot\" header");
        if (!ParseNodes(header, graph)) return false;
        have_nodes = true;
      } else if (key == "edges") {
        if (!have_nodes) return Fail(key_at, "\"edges\" comes before \"nodes\"");
        if (!ParseEdges(header, graph)) return false;
        have_edges = true;
      } else if (key == "strings") {
        // Before the nodes and edges it cannot be known which strings they use: keep them all.
        if (!ParseStrings(!have_edges, graph->mutable_strings())) return false;
        have_strings = true;
      } else if (!SkipValue()) {
        return false;
      }
      int c = Peek();
      if (c == ',') {
        cur_++;
        continue;
      }
      if (c == '}') {
        cur_++;
        break;
      }
      return Unexpected(c, "expected ',' or '}' after the value of " + Quote(key));
    }
    if (Peek() >= 0) return Fail(Offset(), "more data follows the end of the snapshot object");
    if (!have_header) return Fail(Offset(), "no \"snapshot\" header: not a V8 heap snapshot");
    if (!have_nodes || !have_edges || !have_strings) {
      return Fail(Offset(), std::string("no \"") +
                                (!have_nodes   ? "nodes"
                                 : !have_edges ? "edges"
                                               : "strings") +
                                "\" array: not a complete V8 heap snapshot");
    }
    const StringTable& strings = graph->strings();
    if (marks_.any() && marks_.max() >= strings.count()) {
      return Fail(marks_.max_at(), "refers to string #" + Num(marks_.max()) + ", but there are " +
                                       Num(strings.count()) + " strings");
    }
    return true;
  }

 private:
  uint64_t Offset() const { return base_ + static_cast<uint64_t>(cur_ - buf_.data()); }

  [[gnu::noinline, gnu::cold]] bool Fail(uint64_t at, const std::string& message) {
    err_->message = (in_->gzip() ? "byte " + Num(at) + " of the decompressed snapshot: "
                                 : "byte " + Num(at) + ": ") +
                    message;
    return false;
  }

  bool Unexpected(int c, const std::string& what) {
    if (c < 0 && err_->message.empty()) {
      return Fail(Offset(), "the file ends early (truncated?): " + what);
    }
    if (!err_->message.empty()) return false;  // a read error already said why
    return Fail(Offset(), what + ", found " + Shown(c));
  }

  // Makes cur_ < end_ unless the input is exhausted. A NUL sentinel follows the data, so that
  // digit loops stop at the end of the buffer without a bounds check.
  bool Fill() { return cur_ < end_ || Ensure(1); }

  // Makes at least `margin` bytes available after cur_ unless the input ends first: what is
  // left is moved to the front of the buffer and the rest refilled.
  bool Ensure(size_t margin) {
    if (static_cast<size_t>(end_ - cur_) >= margin) return true;
    if (eof_) return cur_ < end_;
    size_t left = static_cast<size_t>(end_ - cur_);
    base_ += static_cast<uint64_t>(cur_ - buf_.data());
    memmove(buf_.data(), cur_, left);
    cur_ = buf_.data();
    end_ = cur_ + left;
    while (static_cast<size_t>(end_ - cur_) < margin) {
      ptrdiff_t n = in_->Read(end_, kChunk - static_cast<size_t>(end_ - buf_.data()), err_);
      if (n <= 0) {
        eof_ = true;
        break;
      }
      end_ += n;
    }
    *end_ = 0;
    if (progress_ != nullptr) progress_->BytesRead(in_->consumed(), in_->size());
    return cur_ < end_;
  }

  // The next byte that is not JSON whitespace, left unconsumed; -1 at the end.
  int Peek() {
    for (;;) {
      while (cur_ < end_) {
        char c = *cur_;
        if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return static_cast<unsigned char>(c);
        cur_++;
      }
      if (!Fill()) return -1;
    }
  }

  // The next byte, consumed; -1 at the end.
  int Get() {
    if (cur_ == end_ && !Fill()) return -1;
    return static_cast<unsigned char>(*cur_++);
  }

  bool ExpectChar(char want, const std::string& what) {
    int c = Peek();
    if (c != static_cast<unsigned char>(want)) return Unexpected(c, what);
    cur_++;
    return true;
  }

  bool ReadKey(std::string* key) {
    int c = Peek();
    if (c != '"') return Unexpected(c, "expected a key (a string)");
    cur_++;
    return ReadString(key, 4096);
  }

  // After the opening quote: decodes the string into `out` (at most `max` bytes; longer ones
  // are an error), or only skips it when out is null.
  bool ReadString(std::string* out, size_t max) {
    for (;;) {
      if (cur_ == end_ && !Fill()) return Unexpected(-1, "inside a string");
      char* quote = static_cast<char*>(memchr(cur_, '"', end_ - cur_));
      char* stop = quote ? quote : end_;
      char* slash = static_cast<char*>(memchr(cur_, '\\', stop - cur_));
      if (slash != nullptr) stop = slash;
      if (out != nullptr) {
        out->append(cur_, stop);
        if (out->size() > max) return Fail(Offset(), "a string longer than expected here");
      }
      cur_ = stop;
      if (cur_ == end_) continue;
      if (*cur_ == '"') {
        cur_++;
        return true;
      }
      cur_++;  // the backslash
      if (!ReadEscape(out)) return false;
    }
  }

  // After a backslash: one escape, appended as UTF-8.
  bool ReadEscape(std::string* out) {
    int c = Get();
    uint32_t cp;
    switch (c) {
      case '"':
      case '\\':
      case '/':
        cp = static_cast<uint32_t>(c);
        break;
      case 'b':
        cp = '\b';
        break;
      case 'f':
        cp = '\f';
        break;
      case 'n':
        cp = '\n';
        break;
      case 'r':
        cp = '\r';
        break;
      case 't':
        cp = '\t';
        break;
      case 'u': {
        if (!ReadHex4(&cp)) return false;
        if (cp >= 0xD800 && cp < 0xDC00) {
          // A high surrogate: a low one should follow as another \u escape.
          if (Peek() == '\\') {
            cur_++;
            if (Get() != 'u') return Fail(Offset(), "a bad escape after a surrogate");
            uint32_t low;
            if (!ReadHex4(&low)) return false;
            cp = (low >= 0xDC00 && low < 0xE000) ? 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00)
                                                 : 0xFFFD;
          } else {
            cp = 0xFFFD;
          }
        } else if (cp >= 0xDC00 && cp < 0xE000) {
          cp = 0xFFFD;
        }
        break;
      }
      default:
        return Unexpected(c, "a bad escape in a string");
    }
    if (out != nullptr) AppendUtf8(out, cp);
    return true;
  }

  bool ReadHex4(uint32_t* cp) {
    *cp = 0;
    for (int i = 0; i < 4; i++) {
      int c = Get();
      int v = (c >= '0' && c <= '9')   ? c - '0'
              : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                       : -1;
      if (v < 0) return Unexpected(c, "expected 4 hex digits after \\u");
      *cp = *cp << 4 | static_cast<uint32_t>(v);
    }
    return true;
  }

  static void AppendUtf8(std::string* out, uint32_t cp) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xC0 | cp >> 6));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xE0 | cp >> 12));
      out->push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out->push_back(static_cast<char>(0xF0 | cp >> 18));
      out->push_back(static_cast<char>(0x80 | (cp >> 12 & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  // An unsigned integer of at most 19 digits (so it fits a uint64_t). `where` names the array.
  bool ReadUnsigned(uint64_t* out, const char* where) {
    int c = Peek();
    if (c < '0' || c > '9') {
      if (c == '-') return Fail(Offset(), std::string("a negative number in ") + where);
      return Unexpected(c, std::string("expected a number in ") + where);
    }
    uint64_t at = Offset();
    uint64_t v = 0;
    size_t digits = 0;
    for (;;) {
      char* p = cur_;
      while (*p >= '0' && *p <= '9') {
        v = v * 10 + static_cast<uint64_t>(*p - '0');
        p++;
      }
      digits += static_cast<size_t>(p - cur_);
      cur_ = p;
      if (cur_ < end_ || !Fill()) break;
    }
    if (digits > 19)
      return Fail(at, std::string("a number of ") + Num(digits) + " digits in " + where);
    if (cur_ < end_ && (*cur_ == '.' || *cur_ == 'e' || *cur_ == 'E')) {
      return Fail(at, std::string("a number that is not an integer in ") + where);
    }
    *out = v;
    last_at_ = at;
    return true;
  }

  static bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

  // The numbers of an array whose '[' has been read, each passed to take(value), which returns
  // false on a bad value. The common case (a short number and its separator within the buffer)
  // runs on local pointers; anything else goes through ReadUnsigned, which says what is wrong.
  template <class Take>
  bool ReadNumbers(const char* where, Take take) {
    if (Peek() == ']') {
      cur_++;
      return true;
    }
    constexpr size_t kMargin = 64;
    for (;;) {
      if (static_cast<size_t>(end_ - cur_) < kMargin) Ensure(kMargin);
      char* p = cur_;
      while (IsSpace(*p)) p++;
      char* start = p;
      uint64_t v = 0;
      while (static_cast<unsigned>(*p - '0') < 10) {
        v = v * 10 + static_cast<uint64_t>(*p - '0');
        p++;
      }
      size_t digits = static_cast<size_t>(p - start);
      while (IsSpace(*p)) p++;
      char sep = *p;
      if (digits == 0 || digits > 19 || p >= end_ || (sep != ',' && sep != ']')) {
        if (!ReadUnsigned(&v, where) || !take(v)) return false;
        bool more = false;
        if (!NextInArray(&more, where)) return false;
        if (!more) return true;
        continue;
      }
      last_at_ = base_ + static_cast<uint64_t>(start - buf_.data());
      cur_ = p + 1;
      if (!take(v)) return false;
      if (sep == ']') return true;
    }
  }

  // After a value: true with *more when ',' follows, false *more when ']' does.
  bool NextInArray(bool* more, const char* where) {
    int c = Peek();
    if (c == ',') {
      cur_++;
      *more = true;
      return true;
    }
    if (c == ']') {
      cur_++;
      *more = false;
      return true;
    }
    return Unexpected(c, std::string("expected ',' or ']' in ") + where);
  }

  // A value of any kind, skipped. Nesting is counted on an explicit stack.
  bool SkipValue() {
    std::vector<char> stack;
    for (;;) {
      int c = Peek();
      if (c < 0) return Unexpected(c, "inside a value");
      if (c == '"') {
        cur_++;
        if (!ReadString(nullptr, 0)) return false;
      } else if (c == '[' || c == '{') {
        cur_++;
        stack.push_back(static_cast<char>(c == '[' ? ']' : '}'));
      } else if (c == ']' || c == '}') {
        if (stack.empty() || stack.back() != c) return Unexpected(c, "unbalanced brackets");
        cur_++;
        stack.pop_back();
      } else if (c == ',' || c == ':') {
        if (stack.empty()) return Unexpected(c, "expected a value");
        cur_++;
      } else {
        // A number or a literal: skip to the next delimiter.
        for (;;) {
          while (cur_ < end_ && *cur_ != ',' && *cur_ != ']' && *cur_ != '}' && *cur_ != ' ' &&
                 *cur_ != '\n' && *cur_ != '\r' && *cur_ != '\t' && *cur_ != ':') {
            cur_++;
          }
          if (cur_ < end_ || !Fill()) break;
        }
      }
      if (stack.empty()) return true;
    }
  }

  // A small JSON value into `arena` (root at index 0), without recursion.
  bool ParseSmall(std::vector<JsonValue>* arena) {
    const uint64_t start = Offset();
    std::vector<uint32_t> stack;
    enum { kValue, kFirstKey, kKey, kAfter } state = kValue;
    auto attach = [&](char type) {
      uint32_t id = static_cast<uint32_t>(arena->size());
      arena->emplace_back();
      arena->back().type = type;
      if (!stack.empty()) (*arena)[stack.back()].items.push_back(id);
      return id;
    };
    for (;;) {
      if (Offset() - start > kMaxHeaderBytes) {
        return Fail(start, "the \"snapshot\" header is larger than 1 MiB: not a heap snapshot");
      }
      int c = Peek();
      if (state == kValue) {
        if (c == '{' || c == '[') {
          cur_++;
          uint32_t id = attach(c == '{' ? 'o' : 'a');
          stack.push_back(id);
          if (stack.size() > kMaxHeaderDepth) return Fail(Offset(), "the header nests too deep");
          if (c == '{') {
            state = kFirstKey;
          } else if (Peek() == ']') {
            cur_++;
            stack.pop_back();
            state = kAfter;
          }
          continue;
        }
        if (c == '"') {
          cur_++;
          std::string s;
          if (!ReadString(&s, kMaxHeaderBytes)) return false;
          (*arena)[attach('s')].text = std::move(s);
        } else if (c == '-' || (c >= '0' && c <= '9')) {
          std::string token;
          for (;;) {
            int d = cur_ < end_ || Fill() ? static_cast<unsigned char>(*cur_) : -1;
            if (!(d == '-' || d == '+' || d == '.' || d == 'e' || d == 'E' ||
                  (d >= '0' && d <= '9')) ||
                token.size() > 40) {
              break;
            }
            token.push_back(static_cast<char>(d));
            cur_++;
          }
          char* parsed_end = nullptr;
          double v = strtod(token.c_str(), &parsed_end);
          if (parsed_end != token.c_str() + token.size()) {
            return Fail(Offset(), "a malformed number in the header");
          }
          (*arena)[attach('d')].number = v;
        } else if (c == 't' || c == 'f' || c == 'n') {
          const char* word = c == 't' ? "true" : c == 'f' ? "false" : "null";
          for (const char* w = word; *w; w++) {
            if (Get() != *w) return Fail(Offset(), "a malformed literal in the header");
          }
          (*arena)[attach(c == 'n' ? 'n' : 'b')].number = c == 't';
        } else {
          return Unexpected(c, "expected a value in the header");
        }
        state = kAfter;
      } else if (state == kFirstKey || state == kKey) {
        if (state == kFirstKey && c == '}') {
          cur_++;
          stack.pop_back();
          state = kAfter;
          continue;
        }
        std::string key;
        if (!ReadKey(&key)) return false;
        (*arena)[stack.back()].keys.push_back(std::move(key));
        if (!ExpectChar(':', "expected ':' in the header")) return false;
        state = kValue;
      } else {
        if (stack.empty()) return true;
        const JsonValue& top = (*arena)[stack.back()];
        if (c == ',') {
          cur_++;
          state = top.type == 'o' ? kKey : kValue;
        } else if (c == (top.type == 'o' ? '}' : ']')) {
          cur_++;
          stack.pop_back();
        } else {
          return Unexpected(c, "expected ',' or a closing bracket in the header");
        }
      }
    }
  }

  static const JsonValue* Member(const std::vector<JsonValue>& arena, const JsonValue& object,
                                 std::string_view key) {
    if (object.type != 'o') return nullptr;
    for (size_t i = 0; i < object.keys.size(); i++) {
      if (object.keys[i] == key) return &arena[object.items[i]];
    }
    return nullptr;
  }

  // A list of strings (node_fields, the kinds in node_types[type]).
  static bool Strings(const std::vector<JsonValue>& arena, const JsonValue* v,
                      std::vector<std::string>* out) {
    if (v == nullptr || v->type != 'a') return false;
    for (uint32_t i : v->items) {
      if (arena[i].type != 's') return false;
      out->push_back(arena[i].text);
    }
    return true;
  }

  bool ParseHeader(Header* h, HeapGraph* graph) {
    const uint64_t at = Offset();
    std::vector<JsonValue> arena;
    if (!ParseSmall(&arena)) return false;
    const JsonValue& root = arena[0];
    auto bad = [&](const std::string& what) {
      return Fail(at, "snapshot.meta " + what + ": not a heap snapshot this reader understands");
    };
    const JsonValue* meta = Member(arena, root, "meta");
    if (meta == nullptr || meta->type != 'o') return bad("is missing");
    std::vector<std::string> node_fields, edge_fields;
    if (!Strings(arena, Member(arena, *meta, "node_fields"), &node_fields)) {
      return bad("has no node_fields list");
    }
    if (!Strings(arena, Member(arena, *meta, "edge_fields"), &edge_fields)) {
      return bad("has no edge_fields list");
    }
    auto index = [](const std::vector<std::string>& fields, std::string_view name) {
      for (size_t i = 0; i < fields.size(); i++) {
        if (fields[i] == name) return static_cast<int>(i);
      }
      return -1;
    };
    h->node_fields = static_cast<uint32_t>(node_fields.size());
    h->edge_fields = static_cast<uint32_t>(edge_fields.size());
    h->node_type = index(node_fields, "type");
    h->node_name = index(node_fields, "name");
    h->node_id = index(node_fields, "id");
    h->node_self = index(node_fields, "self_size");
    h->node_edges = index(node_fields, "edge_count");
    h->edge_type = index(edge_fields, "type");
    h->edge_name = index(edge_fields, "name_or_index");
    h->edge_to = index(edge_fields, "to_node");
    for (auto [field, name] : {std::pair{h->node_type, "type"},
                               {h->node_name, "name"},
                               {h->node_id, "id"},
                               {h->node_self, "self_size"},
                               {h->node_edges, "edge_count"}}) {
      if (field < 0) return bad(std::string("node_fields has no \"") + name + "\"");
    }
    for (auto [field, name] : {std::pair{h->edge_type, "type"},
                               {h->edge_name, "name_or_index"},
                               {h->edge_to, "to_node"}}) {
      if (field < 0) return bad(std::string("edge_fields has no \"") + name + "\"");
    }
    // node_types[i] describes node_fields[i]; for "type" it lists the kinds by number.
    const JsonValue* node_types = Member(arena, *meta, "node_types");
    const JsonValue* edge_types = Member(arena, *meta, "edge_types");
    std::vector<std::string> node_kinds, edge_kinds;
    if (node_types == nullptr || node_types->type != 'a' ||
        node_types->items.size() <= static_cast<size_t>(h->node_type) ||
        !Strings(arena, &arena[node_types->items[h->node_type]], &node_kinds) ||
        node_kinds.empty()) {
      return bad("has no list of node types");
    }
    if (edge_types == nullptr || edge_types->type != 'a' ||
        edge_types->items.size() <= static_cast<size_t>(h->edge_type) ||
        !Strings(arena, &arena[edge_types->items[h->edge_type]], &edge_kinds) ||
        edge_kinds.empty()) {
      return bad("has no list of edge types");
    }
    for (const std::string& k : node_kinds) h->node_kinds.push_back(NodeKindNamed(k));
    for (const std::string& k : edge_kinds) h->edge_kinds.push_back(EdgeKindNamed(k));
    for (auto [out, key] :
         {std::pair{&h->node_count, "node_count"}, {&h->edge_count, "edge_count"}}) {
      const JsonValue* v = Member(arena, root, key);
      if (v == nullptr || v->type != 'd' || v->number < 0 || v->number != std::floor(v->number)) {
        return Fail(at, std::string("the header has no ") + key + ": not a heap snapshot");
      }
      if (v->number > 4294967294.0) {
        return Fail(at, std::string("the header's ") + key + " is " + Num(v->number) +
                            ", more than this reader's 32-bit tables can index (4294967294)");
      }
      *out = static_cast<uint64_t>(v->number);
    }
    // Every value takes at least two bytes ("0,"): a count the file cannot hold is damage.
    if (h->node_count * h->node_fields * 2 + h->edge_count * h->edge_fields * 2 > limit_) {
      return Fail(at, "the header says " + Num(h->node_count) + " nodes and " + Num(h->edge_count) +
                          " edges, more than a file of " + Num(in_->size()) +
                          " bytes can hold: the header is damaged");
    }
    double need =
        GraphBytesFor(static_cast<double>(h->node_count), static_cast<double>(h->edge_count));
    if (max_bytes_ > 0 && need > max_bytes_) {
      err_->message = "reading it needs about " + Num(static_cast<uint64_t>(need / 1048576)) +
                      " MiB (" + Num(h->node_count) + " nodes, " + Num(h->edge_count) +
                      " edges), and only " + Num(static_cast<uint64_t>(max_bytes_ / 1048576)) +
                      " MiB of memory are available";
      return false;
    }
    graph->Reserve(static_cast<uint32_t>(h->node_count), static_cast<uint32_t>(h->edge_count));
    return true;
  }

  // The errors of the number arrays, kept out of the loops.
  [[gnu::noinline, gnu::cold]] bool TooMany(const char* what, uint64_t count) {
    return Fail(last_at_, std::string("more values in the ") + what + " array than " +
                              (what[0] == 'n' ? "node_count (" : "edge_count (") + Num(count) +
                              ") " + what + " have");
  }
  [[gnu::noinline, gnu::cold]] bool BadKind(const char* what, uint64_t v, size_t kinds) {
    return Fail(last_at_, std::string(what) + " type " + Num(v) + ", but snapshot.meta lists " +
                              Num(kinds) + " " + what + " types");
  }
  [[gnu::noinline, gnu::cold]] bool TooLarge(const char* what, uint64_t v, uint64_t max) {
    return Fail(last_at_,
                std::string(what) + " " + Num(v) + " is too large (at most " + Num(max) + ")");
  }
  [[gnu::noinline, gnu::cold]] bool EdgeSum(uint64_t edge_count) {
    return Fail(last_at_,
                "the nodes' edge_count values add up to more than the header's "
                "edge_count (" +
                    Num(edge_count) + ")");
  }
  [[gnu::noinline, gnu::cold]] bool BadTarget(uint64_t v, uint64_t nodes) {
    return Fail(last_at_,
                "to_node " + Num(v) + " is not the start of one of the " + Num(nodes) + " nodes");
  }

  bool MarkString(uint64_t index, uint64_t at, const char* what) {
    // Each string takes at least three bytes (`"",`).
    if (index > limit_ / 3) [[unlikely]] {
      return Fail(at, std::string(what) + " is string #" + Num(index) +
                          ", more strings than the file can hold");
    }
    marks_.Mark(index, at);
    return true;
  }

  bool ParseNodes(const Header& h, HeapGraph* graph) {
    if (!ExpectChar('[', "expected '[' to open the nodes array")) return false;
    enum Role : uint8_t { kIgnore, kType, kName, kId, kSelf, kEdges };
    std::vector<uint8_t> role(h.node_fields, kIgnore);
    role[h.node_type] = kType;
    role[h.node_name] = kName;
    role[h.node_id] = kId;
    role[h.node_self] = kSelf;
    role[h.node_edges] = kEdges;
    const uint64_t expected = h.node_count * h.node_fields;
    uint64_t values = 0;
    uint32_t field = 0;
    uint64_t edges = 0;
    NodeKind kind = NodeKind::kHidden;
    uint64_t name = 0, id = 0, self = 0, count = 0, name_at = 0;
    auto take = [&](uint64_t v) __attribute__((always_inline)) {
      if (++values > expected) {
        return TooMany("nodes", h.node_count);
      }
      switch (role[field]) {
        case kType:
          if (v >= h.node_kinds.size()) {
            return BadKind("node", v, h.node_kinds.size());
          }
          kind = h.node_kinds[v];
          break;
        case kName:
          name = v;
          name_at = last_at_;
          break;
        case kId:
          if (v > UINT32_MAX) return TooLarge("node id", v, UINT32_MAX);
          id = v;
          break;
        case kSelf:
          if (v > kMaxSelfSize) return TooLarge("self_size", v, kMaxSelfSize);
          self = v;
          break;
        case kEdges:
          count = v;
          break;
        default:
          break;
      }
      if (++field < h.node_fields) return true;
      field = 0;
      if (name > UINT32_MAX - 1) return Fail(name_at, "a node's name index exceeds 32 bits");
      if (NameShown(kind) && !MarkString(name, name_at, "a node's name")) return false;
      if (edges + count > h.edge_count) {
        return EdgeSum(h.edge_count);
      }
      graph->AddNode(kind, static_cast<uint32_t>(name), static_cast<uint32_t>(id), self,
                     static_cast<uint32_t>(edges));
      edges += count;
      return true;
    };
    if (!ReadNumbers("the nodes array", take)) return false;
    if (values != expected) {
      return Fail(Offset(), "the nodes array has " + Num(values) + " values; node_count " +
                                Num(h.node_count) + " x " + Num(h.node_fields) + " fields makes " +
                                Num(expected));
    }
    if (edges != h.edge_count) {
      return Fail(Offset(), "the nodes' edge_count values add up to " + Num(edges) +
                                ", the header's edge_count is " + Num(h.edge_count));
    }
    graph->FinishNodes(static_cast<uint32_t>(edges));
    return true;
  }

  bool ParseEdges(const Header& h, HeapGraph* graph) {
    if (!ExpectChar('[', "expected '[' to open the edges array")) return false;
    enum Role : uint8_t { kIgnore, kType, kName, kTo };
    std::vector<uint8_t> role(h.edge_fields, kIgnore);
    role[h.edge_type] = kType;
    role[h.edge_name] = kName;
    role[h.edge_to] = kTo;
    const uint64_t expected = h.edge_count * h.edge_fields;
    const uint64_t node_values = h.node_count * h.node_fields;
    uint64_t values = 0;
    uint32_t field = 0;
    EdgeKind kind = EdgeKind::kOther;
    uint64_t name = 0, to = 0, name_at = 0;
    auto take = [&](uint64_t v) __attribute__((always_inline)) {
      if (++values > expected) {
        return TooMany("edges", h.edge_count);
      }
      switch (role[field]) {
        case kType:
          if (v >= h.edge_kinds.size()) {
            return BadKind("edge", v, h.edge_kinds.size());
          }
          kind = h.edge_kinds[v];
          break;
        case kName:
          name = v;
          name_at = last_at_;
          break;
        case kTo:
          // to_node is the index of the target's first value in the nodes array.
          // (Divisions by the two field counts V8 writes are compiled as multiplications.)
          to = h.node_fields == 6 ? v / 6 : h.node_fields == 7 ? v / 7 : v / h.node_fields;
          if (v >= node_values || to * h.node_fields != v) {
            return BadTarget(v, h.node_count);
          }
          break;
        default:
          break;
      }
      if (++field < h.edge_fields) return true;
      field = 0;
      if (HasStringName(kind) && !MarkString(name, name_at, "an edge's name")) return false;
      graph->AddEdge(kind, name, static_cast<uint32_t>(to));
      return true;
    };
    if (!ReadNumbers("the edges array", take)) return false;
    if (values != expected) {
      return Fail(Offset(), "the edges array has " + Num(values) + " values; edge_count " +
                                Num(h.edge_count) + " x " + Num(h.edge_fields) + " fields makes " +
                                Num(expected));
    }
    return true;
  }

  bool ParseStrings(bool keep_all, StringTable* table) {
    if (!ExpectChar('[', "expected '[' to open the strings array")) return false;
    table->text.clear();
    table->start.clear();
    bool more = Peek() != ']';
    if (!more) cur_++;
    std::string s;
    uint64_t index = 0;
    while (more) {
      int c = Peek();
      if (c != '"') return Unexpected(c, "expected a string in the strings array");
      cur_++;
      table->start.push_back(static_cast<uint32_t>(table->text.size()));
      if (keep_all || marks_.Test(index)) {
        s.clear();
        if (!ReadString(&s, SIZE_MAX)) return false;
        if (table->text.size() + s.size() > UINT32_MAX) {
          return Fail(Offset(), "the names to keep exceed 4 GiB");
        }
        table->text.insert(table->text.end(), s.begin(), s.end());
      } else if (!ReadString(nullptr, 0)) {
        return false;
      }
      index++;
      if (index > UINT32_MAX - 1) return Fail(Offset(), "more than 2^32 strings");
      if (!NextInArray(&more, "the strings array")) return false;
    }
    table->start.push_back(static_cast<uint32_t>(table->text.size()));
    table->text.shrink_to_fit();
    return true;
  }

  Input* in_;
  ReadProgress* progress_;
  double max_bytes_;
  ReadError* err_;
  std::vector<char> buf_;
  char* cur_;
  char* end_;
  uint64_t base_ = 0;  // offset of buf_[0] in the snapshot text
  uint64_t limit_ = 0;
  uint64_t last_at_ = 0;  // where the last number read starts
  bool eof_ = false;
  StringMarks marks_;
};

}  // namespace

double GraphBytesFor(double nodes, double edges) {
  // heap_graph.h's tables, and the dominator tree's working set at its peak
  // (dominator_tree.h): 40 bytes per node and 12 per edge in all.
  return nodes * 40 + edges * 12;
}

bool ReadSnapshotFile(const std::string& path, HeapGraph* graph, ReadProgress* progress,
                      double max_bytes, ReadError* error) {
  auto input = std::make_unique<Input>();
  if (!input->Open(path, error)) return false;
  Parser parser(input.get(), progress, max_bytes, error);
  bool ok = parser.Run(graph);
  if (ok && progress != nullptr) progress->BytesRead(input->size(), input->size());
  return ok;
}

}  // namespace heapwatch
