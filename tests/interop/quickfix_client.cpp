// A third-party FIX 4.4 client for interoperability tests and benchmarks:
// QuickFIX C++ (Debian's libquickfix-dev) is the engine, this program only
// drives it.
//
//   quickfix_client HOST PORT SENDER TARGET COUNT WINDOW SYM=PX[,SYM=PX...] [ACCOUNT]
//
// Logs on (FIX.4.4, MemoryStore, ResetOnLogon=Y, UseDataDictionary=Y;
// until the first logon a failed connection is retried every second, for
// at most 30 s), then sends COUNT NewOrderSingles (limit buys, qty 100,
// TimeInForce IOC, the symbols round robin at their limit prices) with at
// most WINDOW in flight, and checks every ExecutionReport of every order:
//   - it names a ClOrdID this run sent, and no report follows the one that
//     closed the order;
//   - OrderQty (38), when present, is the quantity sent;
//   - CumQty never decreases and never exceeds the order quantity;
//   - on an open order CumQty + LeavesQty == OrderQty; on a closed one
//     (Filled, Canceled, Expired, Rejected) LeavesQty == 0;
//   - at the close, CumQty equals the sum of the LastQty of its fills.
// An order is acknowledged by its first report and closed by its terminal
// one (a Rejected report closes it too: rejects are counted, and the Text
// of the first five is printed, but they do not fail the run).
// TradingSessionStatus (h) and SecurityStatus (f) are counted; any other
// application message (BusinessMessageReject, ...) is a failure. Prints
//   orders N acked A closed C filled_qty Q inconsistent K elapsed_ms T
// then a line with rejects, orders/s and latencies, and exits 0 only if
// every order was acknowledged and closed, nothing was inconsistent, and
// the session stayed up with no session-level reject either way. The
// acceptor may be the simulated venue or the gateway (`fixgw demo`).
//
// Environment:
//   QF_DICTIONARY  the FIX 4.4 data dictionary (QuickFIX XML); required
//                  unless /usr/share/quickfix/FIX44.xml exists
//   QF_TIMEOUT_SECS  give up after this many seconds (default 300)
//   QF_LOG_DIR     if set, QuickFIX writes its message and event logs there
//   QF_TLS_CA      if set, connect over TLS (QuickFIX's SSLSocketInitiator,
//                  OpenSSL) and verify the server's certificate chain against
//                  this CA certificate file (PEM), e.g. certs/ca.pem; unset,
//                  plain TCP. QuickFIX checks the chain only, not the host
//                  name. No client certificate is presented.
//   QF_TLS_PROTOCOL  with QF_TLS_CA: QuickFIX's SSLProtocol setting (its
//                  default, "all -SSLv2", if unset)
//
// A failed TLS handshake (untrusted certificate, ...) ends the run at once
// with exit status 1 and QuickFIX's reason, instead of reconnecting until
// the logon wait runs out.
//
// Build (one line):
//   g++ -O2 -std=c++14 quickfix_client.cpp -o quickfix_client
//       $(pkg-config --cflags --libs quickfix) -lpthread
// (TLS needs nothing more: Debian's libquickfix is linked with OpenSSL, and
// this file calls no OpenSSL function itself.)
// (C++14: QuickFIX 1.15.1's headers carry dynamic exception specifications,
// which C++17 rejects; this file itself is plain C++14.)

// Debian's libquickfix is built with OpenSSL, but its installed headers do
// not say so: the SSL classes are declared only with HAVE_SSL set.
#ifndef HAVE_SSL
#define HAVE_SSL 1
#endif

#include <quickfix/Application.h>
#include <quickfix/FileLog.h>
#include <quickfix/Initiator.h>
#include <quickfix/Log.h>
#include <quickfix/MessageStore.h>
#include <quickfix/Session.h>
#include <quickfix/SSLSocketInitiator.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketInitiator.h>
#include <quickfix/fix44/ExecutionReport.h>
#include <quickfix/fix44/NewOrderSingle.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

const long long kOrderQty = 100;

struct Order {
  Clock::time_point sent_at;
  bool sent = false;
  bool acked = false;
  bool closed = false;
  long long cum = 0;
  long long last_sum = 0;
};

struct Args {
  std::string host;
  int port = 0;
  std::string sender;
  std::string target;
  long long count = 0;
  long long window = 0;
  std::vector<std::pair<std::string, std::string>> symbols;
  std::string account;
};

bool parse_positive(const std::string& s, long long& out) {
  try {
    size_t end = 0;
    out = std::stoll(s, &end);
    return end == s.size() && out > 0;
  } catch (const std::exception&) {
    return false;
  }
}

bool parse_args(int argc, char** argv, Args& a) {
  if (argc < 8 || argc > 9) return false;
  a.host = argv[1];
  long long port = 0;
  if (!parse_positive(argv[2], port) || port > 65535) return false;
  a.port = static_cast<int>(port);
  a.sender = argv[3];
  a.target = argv[4];
  if (!parse_positive(argv[5], a.count) || !parse_positive(argv[6], a.window)) return false;
  std::stringstream ss(argv[7]);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) return false;
    a.symbols.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  if (a.symbols.empty()) return false;
  if (argc == 9) a.account = argv[8];
  return true;
}

double percentile_us(std::vector<long long> v, double q) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return static_cast<double>(v[std::min(i, v.size() - 1)]) / 1000.0;
}

class Driver : public FIX::Application {
 public:
  explicit Driver(const Args& args) : args_(args), orders_(static_cast<size_t>(args.count)) {
    // ClOrdIDs unique across runs against the same acceptor.
    prefix_ = "QF" + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count()) +
              "-";
    ack_ns_.reserve(orders_.size());
    close_ns_.reserve(orders_.size());
  }

  void onCreate(const FIX::SessionID&) override {}

  void onLogon(const FIX::SessionID& id) override {
    std::lock_guard<std::mutex> g(mu_);
    session_ = id;
    logged_on_ = true;
    cv_.notify_all();
  }

  void onLogout(const FIX::SessionID&) override {
    std::lock_guard<std::mutex> g(mu_);
    // Before the first logon this is a connection attempt that failed (the
    // acceptor not listening yet, a logon refused): QuickFIX dials again
    // every ReconnectInterval until wait_logon gives up.
    if (!logged_on_) return;
    if (!finished_locked()) {
      note_locked("session logged out or disconnected before every order closed");
    }
    logged_on_ = false;
    session_down_ = true;
    cv_.notify_all();
  }

  void toAdmin(FIX::Message& m, const FIX::SessionID&) override {
    // A session-level Reject from us means QuickFIX refused one of the
    // acceptor's messages (bad field, dictionary violation): a failure.
    if (msg_type(m) == "3") {
      std::lock_guard<std::mutex> g(mu_);
      ++session_rejects_sent_;
      note_locked("QuickFIX rejected a message of the acceptor: " + m.toString());
    }
  }

  void toApp(FIX::Message&, const FIX::SessionID&) throw(FIX::DoNotSend) override {}

  void fromAdmin(const FIX::Message& m, const FIX::SessionID&) throw(
      FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
      FIX::RejectLogon) override {
    const std::string type = msg_type(m);
    if (type == "3") {
      std::lock_guard<std::mutex> g(mu_);
      ++session_rejects_received_;
      note_locked("the acceptor rejected one of our messages: " + m.toString());
    } else if (type == "5") {
      std::lock_guard<std::mutex> g(mu_);
      if (!logged_on_ && notes_.size() < 5) note_locked("logout before logon: " + m.toString());
    }
  }

  void fromApp(const FIX::Message& m, const FIX::SessionID& id) throw(
      FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
      FIX::UnsupportedMessageType) override {
    const std::string type = msg_type(m);
    if (type == "h" || type == "f") {
      // TradingSessionStatus and SecurityStatus: unsolicited market state
      // a venue (or a gateway passing it on) may send at any time.
      std::lock_guard<std::mutex> g(mu_);
      ++market_state_;
      return;
    }
    if (type != "8") {
      std::lock_guard<std::mutex> g(mu_);
      ++unexpected_;
      note_locked("unexpected application message: " + m.toString());
      return;
    }
    on_execution_report(m);
    send_more(id);
  }

  // The connection failed below FIX (a TLS handshake QuickFIX gave up on):
  // ends the run instead of reconnecting until the logon wait runs out.
  void transport_failed(const std::string& why) {
    std::lock_guard<std::mutex> g(mu_);
    if (logged_on_) return;
    if (!session_down_) note_locked(why);
    session_down_ = true;
    cv_.notify_all();
  }

  // The problems noted so far (for a run that never logged on).
  std::vector<std::string> notes() {
    std::lock_guard<std::mutex> g(mu_);
    return notes_;
  }

  // Blocks until logged on or `deadline`.
  bool wait_logon(Clock::time_point deadline) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_until(l, deadline, [&] { return logged_on_ || session_down_; }) && logged_on_;
  }

  // Starts the clock and fills the window; the callbacks keep it full.
  void start() {
    FIX::SessionID id;
    {
      std::lock_guard<std::mutex> g(mu_);
      started_ = Clock::now();
      id = session_;
    }
    send_more(id);
  }

  // Blocks until every order closed, the session went down, or `deadline`.
  bool wait_done(Clock::time_point deadline) {
    std::unique_lock<std::mutex> l(mu_);
    timed_out_ = !cv_.wait_until(l, deadline, [&] { return finished_locked() || session_down_; });
    elapsed_ = Clock::now() - started_;
    return finished_locked();
  }

  // Prints the summary; true if the run passed.
  bool report() {
    std::lock_guard<std::mutex> g(mu_);
    long long acked = 0, closed = 0, filled = 0;
    for (const Order& o : orders_) {
      acked += o.acked ? 1 : 0;
      closed += o.closed ? 1 : 0;
      filled += o.closed ? o.cum : 0;
    }
    long long ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed_).count();
    double secs = std::chrono::duration<double>(elapsed_).count();
    std::cout << "orders " << args_.count << " acked " << acked << " closed " << closed
              << " filled_qty " << filled << " inconsistent " << inconsistent_ << " elapsed_ms "
              << ms << std::endl;
    std::cout.setf(std::ios::fixed);
    std::cout.precision(1);
    std::cout << "sent " << next_ << " rejected " << rejected_ << " unknown_reports " << unknown_
              << " session_rejects_sent " << session_rejects_sent_ << " session_rejects_received "
              << session_rejects_received_ << " market_state_messages " << market_state_
              << " unexpected_messages " << unexpected_ << " orders_per_s "
              << (secs > 0 ? static_cast<double>(closed) / secs : 0.0) << " ack_p50_us "
              << percentile_us(ack_ns_, 0.5) << " ack_p99_us " << percentile_us(ack_ns_, 0.99)
              << " close_p50_us " << percentile_us(close_ns_, 0.5) << " close_p99_us "
              << percentile_us(close_ns_, 0.99) << std::endl;
    for (const std::string& n : notes_) std::cerr << "quickfix_client: " << n << std::endl;
    if (notes_dropped_ > 0) {
      std::cerr << "quickfix_client: (" << notes_dropped_ << " more problems not shown)" << std::endl;
    }
    if (timed_out_) std::cerr << "quickfix_client: timed out" << std::endl;
    return acked == args_.count && closed == args_.count && inconsistent_ == 0 &&
           unknown_ == 0 && unexpected_ == 0 && session_rejects_sent_ == 0 &&
           session_rejects_received_ == 0;
  }

 private:
  static std::string msg_type(const FIX::Message& m) {
    FIX::MsgType t;
    m.getHeader().getFieldIfSet(t);
    return t.getValue();
  }

  static bool get_qty(const FIX::Message& m, int tag, long long& out) {
    if (!m.isSetField(tag)) return false;
    double v = 0;
    try {
      v = FIX::DoubleConvertor::convert(m.getField(tag));
    } catch (const std::exception&) {
      return false;
    }
    out = static_cast<long long>(v + 0.5);
    return static_cast<double>(out) == v;
  }

  bool finished_locked() const { return closed_ == args_.count; }

  void note_locked(const std::string& n) {
    if (notes_.size() < 20) {
      notes_.push_back(n);
    } else {
      ++notes_dropped_;
    }
  }

  void inconsistent_locked(const std::string& why, const FIX::Message& m) {
    ++inconsistent_;
    note_locked(why + ": " + m.toString());
  }

  void on_execution_report(const FIX::Message& m) {
    const Clock::time_point now = Clock::now();
    std::lock_guard<std::mutex> g(mu_);
    FIX::ClOrdID cl;
    if (!m.getFieldIfSet(cl) || cl.getValue().compare(0, prefix_.size(), prefix_) != 0) {
      ++unknown_;
      note_locked("report for an unknown ClOrdID: " + m.toString());
      return;
    }
    long long idx = -1;
    try {
      size_t end = 0;
      std::string n = cl.getValue().substr(prefix_.size());
      idx = std::stoll(n, &end);
      if (end != n.size()) idx = -1;
    } catch (const std::exception&) {
      idx = -1;
    }
    if (idx < 0 || idx >= static_cast<long long>(orders_.size()) ||
        !orders_[static_cast<size_t>(idx)].sent) {
      ++unknown_;
      note_locked("report for an unknown ClOrdID: " + m.toString());
      return;
    }
    Order& o = orders_[static_cast<size_t>(idx)];
    if (o.closed) {
      inconsistent_locked("report after the order closed", m);
      return;
    }
    long long order_qty = kOrderQty, cum = 0, leaves = 0, last = 0;
    if (m.isSetField(FIX::FIELD::OrderQty) &&
        (!get_qty(m, FIX::FIELD::OrderQty, order_qty) || order_qty != kOrderQty)) {
      inconsistent_locked("OrderQty differs from the quantity sent", m);
    }
    if (!get_qty(m, FIX::FIELD::CumQty, cum) || !get_qty(m, FIX::FIELD::LeavesQty, leaves)) {
      inconsistent_locked("CumQty or LeavesQty missing or not a whole quantity", m);
    }
    FIX::OrdStatus status;
    FIX::ExecType exec_type;
    if (!m.getFieldIfSet(status) || !m.getFieldIfSet(exec_type)) {
      inconsistent_locked("OrdStatus or ExecType missing", m);
      return;
    }
    const char st = status.getValue();
    const bool terminal = st == FIX::OrdStatus_FILLED || st == FIX::OrdStatus_CANCELED ||
                          st == FIX::OrdStatus_EXPIRED || st == FIX::OrdStatus_REJECTED;
    if (exec_type.getValue() == FIX::ExecType_TRADE) {
      if (!get_qty(m, FIX::FIELD::LastQty, last) || last <= 0) {
        inconsistent_locked("a fill without a positive LastQty", m);
      }
      o.last_sum += last;
    }
    if (cum < o.cum || cum > kOrderQty) {
      inconsistent_locked("CumQty went backwards or beyond OrderQty", m);
    }
    if (terminal) {
      if (leaves != 0) inconsistent_locked("LeavesQty is not 0 on a closed order", m);
      if (st == FIX::OrdStatus_FILLED && cum != kOrderQty) {
        inconsistent_locked("Filled with CumQty below OrderQty", m);
      }
    } else if (cum + leaves != kOrderQty) {
      inconsistent_locked("CumQty + LeavesQty != OrderQty on an open order", m);
    }
    o.cum = std::max(o.cum, cum);
    const long long lat =
        std::chrono::duration_cast<std::chrono::nanoseconds>(now - o.sent_at).count();
    if (!o.acked) {
      o.acked = true;
      ack_ns_.push_back(lat);
    }
    if (terminal) {
      if (o.last_sum != cum) {
        inconsistent_locked("CumQty at the close differs from the sum of LastQty", m);
      }
      if (st == FIX::OrdStatus_REJECTED && ++rejected_ <= 5) {
        // Not a failure of the run by itself; the reason helps whoever
        // expected no reject (risk limits, price bands, ...).
        FIX::Text text;
        note_locked("order " + cl.getValue() + " rejected: " +
                    (m.getFieldIfSet(text) ? text.getValue() : std::string("(no Text)")));
      }
      o.closed = true;
      ++closed_;
      --in_flight_;
      close_ns_.push_back(lat);
      if (finished_locked()) cv_.notify_all();
    }
  }

  // Sends orders while the window has room. Never holds `mu_` while
  // QuickFIX sends (its session lock is taken around our callbacks).
  void send_more(const FIX::SessionID& id) {
    for (;;) {
      long long i = 0;
      {
        std::lock_guard<std::mutex> g(mu_);
        if (next_ >= args_.count || in_flight_ >= args_.window || session_down_) return;
        i = next_++;
        ++in_flight_;
        Order& o = orders_[static_cast<size_t>(i)];
        o.sent = true;
        o.sent_at = Clock::now();
      }
      const auto& sym = args_.symbols[static_cast<size_t>(i) % args_.symbols.size()];
      FIX44::NewOrderSingle nos(FIX::ClOrdID(prefix_ + std::to_string(i)), FIX::Side(FIX::Side_BUY),
                                FIX::TransactTime(), FIX::OrdType(FIX::OrdType_LIMIT));
      if (!args_.account.empty()) nos.set(FIX::Account(args_.account));
      nos.set(FIX::HandlInst(FIX::HandlInst_AUTOMATED_EXECUTION_ORDER_PRIVATE_NO_BROKER_INTERVENTION));
      nos.set(FIX::Symbol(sym.first));
      nos.set(FIX::OrderQty(static_cast<double>(kOrderQty)));
      nos.setField(FIX::FIELD::Price, sym.second);
      nos.set(FIX::TimeInForce(FIX::TimeInForce_IMMEDIATE_OR_CANCEL));
      bool ok = false;
      try {
        ok = FIX::Session::sendToTarget(nos, id);
      } catch (const FIX::SessionNotFound&) {
        ok = false;
      }
      if (!ok) {
        std::lock_guard<std::mutex> g(mu_);
        note_locked("QuickFIX could not send order " + std::to_string(i));
        session_down_ = true;
        cv_.notify_all();
        return;
      }
    }
  }

  const Args args_;
  std::string prefix_;
  std::mutex mu_;
  std::condition_variable cv_;
  FIX::SessionID session_;
  bool logged_on_ = false;
  bool session_down_ = false;
  std::vector<Order> orders_;
  long long next_ = 0;
  long long in_flight_ = 0;
  long long closed_ = 0;
  long long inconsistent_ = 0;
  long long rejected_ = 0;
  long long unknown_ = 0;
  long long unexpected_ = 0;
  long long market_state_ = 0;
  long long session_rejects_sent_ = 0;
  long long session_rejects_received_ = 0;
  std::vector<long long> ack_ns_;
  std::vector<long long> close_ns_;
  std::vector<std::string> notes_;
  long long notes_dropped_ = 0;
  Clock::time_point started_;
  Clock::duration elapsed_{};
  bool timed_out_ = false;
};

// Passes every log call on to `inner` (if any) and every event to `watch`:
// the initiator reports a failed TLS handshake only as an event of its
// global log.
class WatchedLog : public FIX::Log {
 public:
  WatchedLog(FIX::Log* inner, std::function<void(const std::string&)> watch)
      : inner_(inner), watch_(std::move(watch)) {}
  FIX::Log* inner() const { return inner_; }
  void clear() override {
    if (inner_) inner_->clear();
  }
  void backup() override {
    if (inner_) inner_->backup();
  }
  void onIncoming(const std::string& s) override {
    if (inner_) inner_->onIncoming(s);
  }
  void onOutgoing(const std::string& s) override {
    if (inner_) inner_->onOutgoing(s);
  }
  void onEvent(const std::string& s) override {
    if (inner_) inner_->onEvent(s);
    watch_(s);
  }

 private:
  FIX::Log* inner_;
  std::function<void(const std::string&)> watch_;
};

class WatchedLogFactory : public FIX::LogFactory {
 public:
  WatchedLogFactory(FIX::LogFactory* inner, std::function<void(const std::string&)> watch)
      : inner_(inner), watch_(std::move(watch)) {}
  FIX::Log* create() override {
    return new WatchedLog(inner_ ? inner_->create() : nullptr, watch_);
  }
  FIX::Log* create(const FIX::SessionID& id) override {
    return new WatchedLog(inner_ ? inner_->create(id) : nullptr, watch_);
  }
  void destroy(FIX::Log* log) override {
    WatchedLog* w = static_cast<WatchedLog*>(log);
    if (inner_ && w->inner()) inner_->destroy(w->inner());
    delete w;
  }

 private:
  FIX::LogFactory* inner_;
  std::function<void(const std::string&)> watch_;
};

std::string dictionary_path() {
  const char* env = std::getenv("QF_DICTIONARY");
  if (env != nullptr && *env != '\0') return env;
  return "/usr/share/quickfix/FIX44.xml";
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse_args(argc, argv, args)) {
    std::cerr << "usage: " << argv[0]
              << " HOST PORT SENDER TARGET COUNT WINDOW SYM=PX[,SYM=PX...] [ACCOUNT]" << std::endl;
    return 2;
  }
  const std::string dict = dictionary_path();
  if (!std::ifstream(dict).good()) {
    std::cerr << "quickfix_client: no FIX 4.4 data dictionary at " << dict
              << " (set QF_DICTIONARY to QuickFIX's FIX44.xml)" << std::endl;
    return 2;
  }
  long long timeout_secs = 300;
  if (const char* t = std::getenv("QF_TIMEOUT_SECS")) {
    if (!parse_positive(t, timeout_secs)) {
      std::cerr << "quickfix_client: QF_TIMEOUT_SECS must be a positive integer" << std::endl;
      return 2;
    }
  }
  const char* log_dir = std::getenv("QF_LOG_DIR");
  const char* tls_ca = std::getenv("QF_TLS_CA");
  const bool tls = tls_ca != nullptr && *tls_ca != '\0';
  if (tls && !std::ifstream(tls_ca).good()) {
    std::cerr << "quickfix_client: QF_TLS_CA: cannot read " << tls_ca << std::endl;
    return 2;
  }
  const char* tls_protocol = std::getenv("QF_TLS_PROTOCOL");

  try {
    FIX::SessionSettings settings;
    FIX::Dictionary defaults;
    defaults.setString(FIX::CONNECTION_TYPE, "initiator");
    defaults.setString(FIX::START_TIME, "00:00:00");
    defaults.setString(FIX::END_TIME, "00:00:00");
    defaults.setInt(FIX::HEARTBTINT, 30);
    defaults.setInt(FIX::RECONNECT_INTERVAL, 1);
    defaults.setBool(FIX::RESET_ON_LOGON, true);
    defaults.setBool(FIX::USE_DATA_DICTIONARY, true);
    defaults.setString(FIX::DATA_DICTIONARY, dict);
    defaults.setBool(FIX::SOCKET_NODELAY, true);
    defaults.setString(FIX::SOCKET_CONNECT_HOST, args.host);
    defaults.setInt(FIX::SOCKET_CONNECT_PORT, args.port);
    if (log_dir != nullptr && *log_dir != '\0') defaults.setString(FIX::FILE_LOG_PATH, log_dir);
    if (tls) {
      // The initiator verifies the server's chain against this CA (and
      // presents no certificate of its own).
      defaults.setString(FIX::CERT_AUTH_FILE, tls_ca);
      if (tls_protocol != nullptr && *tls_protocol != '\0') {
        defaults.setString(FIX::SSL_PROTOCOL, tls_protocol);
      }
    }
    settings.set(defaults);
    const FIX::SessionID id(FIX::BeginString_FIX44, args.sender, args.target);
    FIX::Dictionary session;
    settings.set(id, session);

    Driver driver(args);
    FIX::MemoryStoreFactory store;
    std::unique_ptr<FIX::FileLogFactory> file_logs;
    if (log_dir != nullptr && *log_dir != '\0') file_logs.reset(new FIX::FileLogFactory(settings));
    WatchedLogFactory logs(file_logs.get(), [&driver, tls](const std::string& event) {
      if (tls && event.rfind("SSL_connect failed", 0) == 0) {
        driver.transport_failed("TLS handshake failed (QuickFIX: " + event +
                                "; QuickFIX printed its Certificate Verification lines on stdout)");
      }
    });
    std::unique_ptr<FIX::Initiator> initiator;
    if (tls) {
      initiator.reset(new FIX::SSLSocketInitiator(driver, store, settings, logs));
    } else {
      initiator.reset(new FIX::SocketInitiator(driver, store, settings, logs));
    }
    initiator->start();

    const Clock::time_point deadline = Clock::now() + std::chrono::seconds(timeout_secs);
    if (!driver.wait_logon(std::min(deadline, Clock::now() + std::chrono::seconds(30)))) {
      std::cerr << "quickfix_client: no logon to " << args.host << ":" << args.port
                << (tls ? " (TLS)" : "") << " as " << args.sender << " -> " << args.target;
      const std::vector<std::string> why = driver.notes();
      if (why.empty()) std::cerr << " within 30 s";
      std::cerr << std::endl;
      for (const std::string& n : why) std::cerr << "quickfix_client: " << n << std::endl;
      initiator->stop(true);
      return 1;
    }
    driver.start();
    driver.wait_done(deadline);
    const bool ok = driver.report();
    initiator->stop();
    return ok ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "quickfix_client: " << e.what() << std::endl;
    return 1;
  }
}
