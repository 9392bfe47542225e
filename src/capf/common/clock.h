// Clock: the one source of "now" for everything that records or compares times, so that tests can
// move time (deadlines, certificate validity, renewal windows) without sleeping.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace capf {

using TimePoint = std::chrono::system_clock::time_point;
using Seconds = std::chrono::seconds;

class Clock {
 public:
  virtual ~Clock() = default;
  // Thread-safe; never blocks.
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override { return std::chrono::system_clock::now(); }
};

// A clock tests set by hand. Thread-safe.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start) : now_(start.time_since_epoch().count()) {}
  TimePoint now() const override {
    return TimePoint(TimePoint::duration(now_.load(std::memory_order_relaxed)));
  }
  void set(TimePoint t) { now_.store(t.time_since_epoch().count(), std::memory_order_relaxed); }
  void advance(TimePoint::duration d) { now_.fetch_add(d.count(), std::memory_order_relaxed); }

 private:
  std::atomic<TimePoint::rep> now_;
};

// Seconds since the Unix epoch, the form stored in the registry.
inline std::int64_t to_unix(TimePoint t) {
  return std::chrono::duration_cast<Seconds>(t.time_since_epoch()).count();
}
// Saturates at the clock's range (about 1678 to 2262 with nanosecond ticks): a certificate's
// "no expiry" notAfter of 9999-12-31 (RFC 5280 4.1.2.5, common in SUDI certificates) becomes the
// latest time the clock can hold instead of overflowing.
inline TimePoint from_unix(std::int64_t s) {
  constexpr std::int64_t kMax =
      std::chrono::duration_cast<Seconds>(TimePoint::duration::max()).count();
  constexpr std::int64_t kMin =
      std::chrono::duration_cast<Seconds>(TimePoint::duration::min()).count();
  return TimePoint(Seconds(s > kMax ? kMax : s < kMin ? kMin : s));
}

// "2026-11-25T15:10:00Z".
std::string format_utc(TimePoint t);
// Accepts "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS][Z]", "YYYY-MM-DD HH:MM[:SS]" (UTC) and CUCM's BAT
// form "YYYY:MM:DD:HH"; nullopt when the text is none of these or names an impossible date.
std::optional<TimePoint> parse_utc(std::string_view text);

}  // namespace capf
