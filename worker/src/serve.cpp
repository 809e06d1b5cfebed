#include "serve.hpp"

#include <csignal>
#include <cstdlib>
#include <pthread.h>
#include <string_view>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "log.hpp"
#include "serve_api.hpp"
#include "serve_assets.hpp"
#include "serve_db.hpp"
#include "serve_events.hpp"
#include "serve_rules.hpp"

namespace aidis {

namespace {

constexpr size_t kMaxBody = size_t{64} * 1024;
constexpr size_t kPoolSize = 4;
constexpr const char* kTokenCookie = "aidis_token";

std::string error_json(std::string_view message, std::string_view code = "") {
  nlohmann::json j{{"error", message}};
  if (!code.empty()) j["code"] = code;
  return j.dump();
}

// With the charset, cpp-httplib does not compress the answer: brotli at its
// default quality costs more time than loopback transfer saves.
constexpr const char* kJson = "application/json; charset=utf-8";

void send_error(httplib::Response& res, int status, std::string_view message, std::string_view code = "") {
  res.status = status;
  res.set_content(error_json(message, code), kJson);
}

std::string_view content_type(std::string_view path) {
  auto ends = [&](std::string_view ext) {
    return path.size() >= ext.size() && path.substr(path.size() - ext.size()) == ext;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

void security_headers(httplib::Response& res) {
  res.set_header("Content-Security-Policy",
                 "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                 "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cache-Control", "no-store");
}

struct Guard {
  std::vector<std::string> hosts;
  std::string token;  // empty: none required (loopback)

  // Returns true when the request may go on; otherwise `res` holds the refusal.
  bool admit(const httplib::Request& req, httplib::Response& res) const {
    security_headers(res);
    const std::string host = req.get_header_value("Host");
    if (!host_allowed(host, hosts)) {
      send_error(res, 421, "this server does not answer to that Host name");
      return false;
    }
    if (!token.empty() && !authorized(req, res)) return false;
    if (api_changes_state(req.method)) {
      if (!origin_allowed(req.get_header_value("Origin"), host)) {
        send_error(res, 403, "cross-origin request refused");
        return false;
      }
      auto ct = req.get_header_value("Content-Type");
      if (ct.rfind("application/json", 0) != 0) {
        send_error(res, 415, "send application/json");
        return false;
      }
    }
    return true;
  }

  bool authorized(const httplib::Request& req, httplib::Response& res) const {
    std::string auth = req.get_header_value("Authorization");
    if (auth.rfind("Bearer ", 0) == 0 && token_equal(auth.substr(7), token)) return true;
    if (auto c = cookie_value(req.get_header_value("Cookie"), kTokenCookie); c && token_equal(*c, token))
      return true;
    // The link printed at start-up: trade the token for a cookie, drop it from the address.
    if (req.method == "GET" && req.path == "/" && req.has_param("token") &&
        token_equal(req.get_param_value("token"), token)) {
      res.set_header("Set-Cookie",
                     fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict", kTokenCookie, token));
      res.set_redirect("/");
      return false;
    }
    send_error(res, 401, "an access token is required");
    return false;
  }
};

void route_api(httplib::Server& svr, Pool& pool) {
  auto handler = [&pool](const httplib::Request& req, httplib::Response& res) {
    ApiRequest ar;
    ar.method = req.method;
    ar.path = req.matches[1];
    ar.query = [&req](const char* name) -> std::optional<std::string> {
      if (!req.has_param(name)) return std::nullopt;
      return req.get_param_value(name);
    };
    ar.body = req.body;
    SqlCall call;
    try {
      call = api_call(ar);
    } catch (const ApiRefusal& e) {
      return send_error(res, e.status, e.what());
    }
    CallResult r = pool.run(call);
    if (r.ok) {
      res.set_content(r.json.value_or("null"), kJson);
      return;
    }
    HttpError e = http_error_for_sqlstate(r.sqlstate);
    if (e.status >= 500 && !r.message.empty())
      log(fmt::format("serve: {} /api/{}: SQLSTATE {}: {}", req.method, ar.path,
                      r.sqlstate.empty() ? "none" : r.sqlstate, one_line(r.message)));
    send_error(res, e.status, e.show_message ? r.message : e.generic, e.show_message ? r.sqlstate : "");
  };
  svr.Get(R"(/api/((?!events$).+))", handler);
  svr.Post(R"(/api/(.+))", handler);
}

void route_events(httplib::Server& svr, Hub& hub, Listener& listener) {
  svr.Get("/api/events", [&hub, &listener](const httplib::Request&, httplib::Response& res) {
    res.set_header("X-Accel-Buffering", "no");
    uint64_t start = hub.last();
    bool up = listener.available();
    res.set_chunked_content_provider(
        "text/event-stream", [&hub, seq = start, first = true, up](size_t, httplib::DataSink& sink) mutable {
          std::string out;
          if (first) {
            first = false;
            out = fmt::format("retry: 1000\nevent: database\ndata: {{\"available\":{}}}\n\n", up);
          } else if (!hub.wait(seq, out, 15000)) {
            sink.done();
            return true;
          }
          if (out.empty()) out = ": keep-alive\n\n";
          return sink.write(out.data(), out.size());
        });
  });
}

void route_assets(httplib::Server& svr) {
  for (size_t i = 0; i < kAssetCount; ++i) {
    const Asset& a = kAssets[i];
    // A sized content provider: sent as is (cpp-httplib compresses only bodies).
    auto serve = [&a](const httplib::Request&, httplib::Response& res) {
      res.set_content_provider(a.size, std::string(content_type(a.path)),
                               [&a](size_t offset, size_t length, httplib::DataSink& sink) {
                                 return sink.write(reinterpret_cast<const char*>(a.data) + offset, length);
                               });
    };
    // httplib patterns are regular expressions: escape the dots.
    std::string pattern;
    for (const char* c = a.path; *c; ++c) pattern += *c == '.' ? std::string("\\.") : std::string(1, *c);
    svr.Get(pattern, serve);
    if (std::string_view(a.path) == "/index.html") svr.Get("/", serve);
  }
}

}  // namespace

int run_serve(const ConnParams& params, const ServeOptions& opts) {
  ListenAddress listen;
  try {
    listen = parse_listen(opts.listen);
  } catch (const std::invalid_argument& e) {
    fmt::print(stderr, "aidis serve: --listen {}: {}\n", opts.listen, e.what());
    return kExitUsage;
  }
  Guard guard{allowed_hosts(listen, opts.allow_hosts), {}};
  try {
    if (opts.token_file)
      guard.token = read_token_file(*opts.token_file);
    else if (const char* t = std::getenv("AIDIS_SERVE_TOKEN"); t && *t)
      guard.token = t;
  } catch (const std::runtime_error& e) {
    fmt::print(stderr, "aidis serve: {}\n", e.what());
    return kExitUsage;
  }
  if (!guard.token.empty() && guard.token.size() < 16) {
    fmt::print(stderr, "aidis serve: AIDIS_SERVE_TOKEN is shorter than 16 characters\n");
    return kExitUsage;
  }
  if (!is_loopback(listen.host) && guard.token.empty()) {
    fmt::print(stderr,
               "aidis serve: --listen {} is reachable from other machines: give an access token with "
               "--token-file FILE or AIDIS_SERVE_TOKEN\n",
               opts.listen);
    return kExitUsage;
  }

  // Signals go to one thread (sigwait); the server threads never see them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  Pool pool(params, kPoolSize);
  Hub hub;
  Listener listener(params, hub);
  httplib::Server svr;
  svr.new_task_queue = [] { return new httplib::ThreadPool(32); };
  svr.set_payload_max_length(kMaxBody);
  svr.set_read_timeout(10);
  svr.set_pre_routing_handler([&guard](const httplib::Request& req, httplib::Response& res) {
    return guard.admit(req, res) ? httplib::Server::HandlerResponse::Unhandled
                                 : httplib::Server::HandlerResponse::Handled;
  });
  svr.set_exception_handler([](const httplib::Request&, httplib::Response& res, const std::exception_ptr&) {
    send_error(res, 500, "internal error");
  });
  svr.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    const char* msg = res.status == 413   ? "request body too large (64 kB at most)"
                      : res.status == 404 ? "not found"
                                          : "request refused";
    res.set_content(error_json(msg), kJson);
  });
  route_events(svr, hub, listener);
  route_api(svr, pool);
  route_assets(svr);

  if (!svr.bind_to_port(listen.host, listen.port)) {
    fmt::print(stderr, "aidis serve: cannot listen on {}\n", opts.listen);
    return kExitFailure;
  }
  listener.start();
  std::thread stopper([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    hub.stop();
    svr.stop();
  });
  std::string shown = listen.host.find(':') != std::string::npos ? "[" + listen.host + "]" : listen.host;
  log(fmt::format("serve: listening on http://{}:{}/{}", shown, listen.port,
                  guard.token.empty() ? "" : " (token required)"));
  svr.listen_after_bind();
  hub.stop();
  listener.stop();
  if (stopper.joinable()) {
    // It waits in sigwait() for SIGTERM: this wakes it, it does not kill it.
    pthread_kill(stopper.native_handle(), SIGTERM);  // NOLINT(bugprone-bad-signal-to-kill-thread)
    stopper.join();
  }
  log("serve: stopped");
  return kExitOk;
}

}  // namespace aidis
