#include "snapshot_names.h"

#include <limits.h>
#include <sys/time.h>

#include <cstdio>
#include <ctime>
#include <mutex>
#include <vector>

namespace heapwatch {
namespace snapshot_names {

namespace {

enum class Kind { kLiteral, kPid, kTid, kSeq, kDate, kTrigger, kSec, kUsec };

struct Placeholder {
  const char* name;
  Kind kind;
  size_t longest;  // bytes of its longest expansion, for the NAME_MAX check
};

// pid_t and Node's threadId are at most 10 and 20 digits, seq 20, sec 12 (past the year 30000).
const Placeholder kKnown[] = {
    {"pid", Kind::kPid, 10},   {"tid", Kind::kTid, 20},         {"seq", Kind::kSeq, 20},
    {"date", Kind::kDate, 16}, {"trigger", Kind::kTrigger, 10}, {"sec", Kind::kSec, 12},
    {"usec", Kind::kUsec, 6},
};

const char* const kTriggers[] = {"api", "signal", "leak", "heap-limit"};

struct Part {
  Kind kind;
  std::string literal;  // kLiteral only
};

// Splits `t` into parts; "" or the reason it cannot.
std::string Parse(const std::string& t, std::vector<Part>* out) {
  std::string literal;
  for (size_t i = 0; i < t.size(); i++) {
    char c = t[i];
    if (c == '}') return "has a \"}\" without \"{\"";
    if (c != '{') {
      literal += c;
      continue;
    }
    size_t close = t.find('}', i);
    if (close == std::string::npos) return "has a \"{\" without \"}\"";
    std::string key = t.substr(i + 1, close - i - 1);
    const Placeholder* found = nullptr;
    for (const Placeholder& p : kKnown) {
      if (key == p.name) found = &p;
    }
    if (found == nullptr) {
      return "has an unknown placeholder {" + key + "} (known: " + kPlaceholders + ")";
    }
    if (!literal.empty()) out->push_back({Kind::kLiteral, literal});
    literal.clear();
    out->push_back({found->kind, ""});
    i = close;
  }
  if (!literal.empty()) out->push_back({Kind::kLiteral, literal});
  return "";
}

size_t Longest(Kind kind) {
  for (const Placeholder& p : kKnown) {
    if (p.kind == kind) return p.longest;
  }
  return 0;
}

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

// How many characters of `s` from `at` part `p` can take: every possible length, longest first
// for digit runs (the caller backtracks). Fills `lengths`.
void Candidates(const Part& p, const std::string& s, size_t at, std::vector<size_t>* lengths) {
  lengths->clear();
  size_t rest = s.size() - at;
  switch (p.kind) {
    case Kind::kLiteral:
      if (s.compare(at, p.literal.size(), p.literal) == 0) lengths->push_back(p.literal.size());
      return;
    case Kind::kUsec: {
      size_t n = 0;
      while (n < 6 && n < rest && IsDigit(s[at + n])) n++;
      if (n == 6) lengths->push_back(6);
      return;
    }
    case Kind::kDate: {
      const char* shape = "ddddddddTddddddZ";  // UTC, sortable: 20250102T030405Z
      if (rest < 16) return;
      for (size_t i = 0; i < 16; i++) {
        char c = s[at + i];
        if (shape[i] == 'd' ? !IsDigit(c) : c != shape[i]) return;
      }
      lengths->push_back(16);
      return;
    }
    case Kind::kTrigger:
      for (const char* trigger : kTriggers) {
        std::string t(trigger);
        if (s.compare(at, t.size(), t) == 0) lengths->push_back(t.size());
      }
      return;
    default: {
      size_t n = 0;
      while (n < rest && IsDigit(s[at + n])) n++;
      for (size_t len = n; len >= 1; len--) lengths->push_back(len);
      return;
    }
  }
}

// Parts [from, end) match s[at..] exactly. Depth is the number of parts (a template has at most
// NAME_MAX bytes, so a few dozen at most).
bool MatchFrom(const std::vector<Part>& parts, size_t from, const std::string& s, size_t at) {
  if (from == parts.size()) return at == s.size();
  std::vector<size_t> lengths;
  Candidates(parts[from], s, at, &lengths);
  for (size_t len : lengths) {
    if (MatchFrom(parts, from + 1, s, at + len)) return true;
  }
  return false;
}

void AppendNumber(std::string* out, const char* format, long long value) {
  char buf[32];
  snprintf(buf, sizeof buf, format, value);
  *out += buf;
}

}  // namespace

std::string TemplateProblem(const std::string& t) {
  if (t.empty()) return "is empty";
  if (t.find('/') != std::string::npos) return "contains \"/\" (set the directory with `dir`)";
  for (unsigned char c : t) {
    if (c < 0x20 || c == 0x7f) return "contains a control character";
  }
  if (t == "." || t == "..") return "is \"" + t + "\"";
  if (t.rfind(".heapwatch", 0) == 0) {
    return "starts with \".heapwatch\", which heapwatch's own files use";
  }
  std::vector<Part> parts;
  std::string problem = Parse(t, &parts);
  if (!problem.empty()) return problem;
  bool seq = false, usec = false, sec = false, date = false;
  size_t longest = 0;
  for (const Part& p : parts) {
    seq |= p.kind == Kind::kSeq;
    usec |= p.kind == Kind::kUsec;
    sec |= p.kind == Kind::kSec;
    date |= p.kind == Kind::kDate;
    longest += p.kind == Kind::kLiteral ? p.literal.size() : Longest(p.kind);
  }
  if (!seq && !(usec && (sec || date))) {
    return "could repeat a name: include {seq}, or {usec} with {sec} or {date}";
  }
  if (longest > NAME_MAX) {
    return "can expand to " + std::to_string(longest) + " bytes, more than a file name may have (" +
           std::to_string(NAME_MAX) + ")";
  }
  return "";
}

Stamp Next() {
  static std::mutex mutex;
  static long long last_us = 0;
  static unsigned long long last_seq = 0;
  struct timeval tv;
  gettimeofday(&tv, nullptr);
  long long now_us = static_cast<long long>(tv.tv_sec) * 1000000 + tv.tv_usec;
  Stamp stamp;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (now_us <= last_us) now_us = last_us + 1;  // two names in one microsecond: the next one
    last_us = now_us;
    stamp.seq = ++last_seq;
  }
  stamp.sec = now_us / 1000000;
  stamp.usec = now_us % 1000000;
  return stamp;
}

std::string Expand(const std::string& t, const Stamp& stamp, long long pid, long long thread_id,
                   const char* trigger) {
  std::vector<Part> parts;
  Parse(t, &parts);  // valid: checked by TemplateProblem when it was configured
  std::string name;
  for (const Part& p : parts) {
    switch (p.kind) {
      case Kind::kLiteral:
        name += p.literal;
        break;
      case Kind::kPid:
        AppendNumber(&name, "%lld", pid);
        break;
      case Kind::kTid:
        AppendNumber(&name, "%lld", thread_id);
        break;
      case Kind::kSeq:
        AppendNumber(&name, "%lld", static_cast<long long>(stamp.seq));
        break;
      case Kind::kSec:
        AppendNumber(&name, "%lld", stamp.sec);
        break;
      case Kind::kUsec:
        AppendNumber(&name, "%06lld", stamp.usec);
        break;
      case Kind::kDate: {
        time_t secs = static_cast<time_t>(stamp.sec);
        struct tm utc;
        gmtime_r(&secs, &utc);
        char buf[32];
        strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &utc);
        name += buf;
        break;
      }
      case Kind::kTrigger:
        name += trigger;
        break;
    }
  }
  return name;
}

bool Matches(const std::string& t, const std::string& name) {
  std::vector<Part> parts;
  if (!Parse(t, &parts).empty()) return false;
  return MatchFrom(parts, 0, name, 0);
}

}  // namespace snapshot_names
}  // namespace heapwatch
