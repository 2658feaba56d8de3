#include "utensor/core/context.hpp"

#include <gtest/gtest.h>

#include "scoped_context.hpp"
#include "utensor/lib/linear_arena_allocator.hpp"
#include "utensor/lib/simple_error_handler.hpp"

using namespace utensor;

TEST(Context, DefaultExistsAndStartsEmpty) {
  Context* ctx = Context::get_default_context();
  ASSERT_NE(ctx, nullptr);
  EXPECT_EQ(Context::get_default_context(), ctx);
  Context fresh;
  EXPECT_EQ(fresh.get_metadata_allocator(), nullptr);
  EXPECT_EQ(fresh.get_ram_data_allocator(), nullptr);
  EXPECT_EQ(fresh.get_ErrorHandler(), nullptr);
}

TEST(Context, DefaultIsOverridableAndRestorable) {
  Context* builtin = Context::get_default_context();
  Context mine;
  Context::set_default_context(&mine);
  EXPECT_EQ(Context::get_default_context(), &mine);
  Context::set_default_context(nullptr);
  EXPECT_EQ(Context::get_default_context(), builtin);
}

TEST(Context, SettersAndGetters) {
  ScopedContext ctx;
  LocalLinearArenaAllocator<16> meta, data;
  SimpleErrorHandler h(4);
  ctx->set_metadata_allocator(&meta);
  ctx->set_ram_data_allocator(&data);
  ctx->set_ErrorHandler(&h);
  Context* d = Context::get_default_context();
  EXPECT_EQ(d->get_metadata_allocator(), &meta);
  EXPECT_EQ(d->get_ram_data_allocator(), &data);
  EXPECT_EQ(d->get_ErrorHandler(), &h);
}

TEST(Context, ErrorsAndNotificationsReachTheHandler) {
  ScopedContext ctx;
  SimpleErrorHandler h(4);
  ctx->set_ErrorHandler(&h);
  int source = 0;
  EXPECT_EQ(Context::get_default_context()->throwError(
                make_event(EventId::kernel_error, Status::invalid_argument, 7, &source)),
            Status::invalid_argument);
  Context::get_default_context()->notifyEvent(make_event(EventId::rebalance, Status::ok));
  EXPECT_EQ(raise_error(EventId::tensor_error, Status::out_of_bounds), Status::out_of_bounds);
  raise_notification(user_event(3), 11);
  ASSERT_EQ(h.size(), 4u);
  EXPECT_EQ(h.at(0).id, EventId::kernel_error);
  EXPECT_EQ(h.at(0).detail, 7);
  EXPECT_EQ(h.at(0).source, &source);
  EXPECT_TRUE(h.at(0).is_error());
  EXPECT_FALSE(h.at(1).is_error());
  EXPECT_EQ(h.at(2).status, Status::out_of_bounds);
  EXPECT_EQ(h.at(3).id, user_event(3));
  EXPECT_EQ(static_cast<uint16_t>(h.at(3).id), kUserEventBase + 3);
  EXPECT_EQ(h.at(3).detail, 11);
}

TEST(Context, WithoutHandlerEventsAreDroppedButStatusIsReturned) {
  ScopedContext ctx;
  EXPECT_EQ(raise_error(EventId::tensor_error, Status::write_to_rom), Status::write_to_rom);
  raise_notification(EventId::rebalance);
}

TEST(Event, ComparisonIgnoresDetailAndSource) {
  int a = 0, b = 0;
  Event e1 = make_event(EventId::allocator_error, Status::out_of_memory, 1, &a);
  Event e2 = make_event(EventId::allocator_error, Status::out_of_memory, 2, &b);
  Event e3 = make_event(EventId::allocator_error, Status::invalid_argument, 1, &a);
  EXPECT_TRUE(e1 == e2);
  EXPECT_TRUE(e1 != e3);
  EXPECT_TRUE(e3 == EventId::allocator_error);
  EXPECT_TRUE(e3 != EventId::rebalance);
}
