// run_blocking: runs a blocking function on the worker pool and resumes the calling coroutine on
// its own executor (the session's strand) with the result. I/O threads never block.
#pragma once

#include <type_traits>
#include <utility>

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace capf {

template <typename Fn>
boost::asio::awaitable<std::invoke_result_t<Fn&>> run_blocking(boost::asio::thread_pool& pool,
                                                               Fn fn) {
  using R = std::invoke_result_t<Fn&>;
  auto home = co_await boost::asio::this_coro::executor;
  auto initiation = [&pool, home](auto handler, Fn work) {
    boost::asio::post(pool, [handler = std::move(handler), work = std::move(work), home]() mutable {
      R result = work();
      boost::asio::post(home, [handler = std::move(handler), result = std::move(result)]() mutable {
        std::move(handler)(std::move(result));
      });
    });
  };
  co_return co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(R)>(
      initiation, boost::asio::use_awaitable, std::move(fn));
}

}  // namespace capf
