package io.moonshard.controller.store.etcd;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.MethodDescriptor;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Gives every etcd call but the watch streams a gRPC deadline of the request timeout. The caller stops
 * waiting after that time anyway; with the deadline, gRPC also cancels the call, so etcd never applies
 * a request its caller has given up on once the deadline has passed, and a keepalive stream opened for one
 * renewal ({@code keepAliveOnce}) ends instead of lingering while a member is unreachable.
 */
final class RequestDeadline implements ClientInterceptor {

    /** Watches are long-lived streams: a deadline would cut them. */
    private static final String WATCH_SERVICE = "etcdserverpb.Watch";

    private final long timeoutNanos;

    RequestDeadline(Duration timeout) {
        this.timeoutNanos = timeout.toNanos();
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        if (WATCH_SERVICE.equals(method.getServiceName()) || options.getDeadline() != null) {
            return next.newCall(method, options);
        }
        return next.newCall(method, options.withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS));
    }
}
