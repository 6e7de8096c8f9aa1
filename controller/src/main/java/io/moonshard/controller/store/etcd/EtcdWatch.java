package io.moonshard.controller.store.etcd;

import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.watch.WatchResponse;
import io.moonshard.controller.store.WatchEvent;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One watch: turns jetcd's responses into {@link WatchEvent}s for the listener, in revision order.
 *
 * <p>jetcd resumes a watch by itself after a transient error (a member went away), from the revision
 * after the last event delivered, so nothing is lost or repeated and the listener sees nothing of it.
 * When jetcd gives up instead (the start revision was compacted, the member lost its leader, the
 * server ended the stream), it completes the watcher: that is reported once as {@link
 * WatchEvent.Kind#RESET}, and the watch delivers nothing more.
 */
final class EtcdWatch implements Watch.Listener, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EtcdWatch.class);

    private final Consumer<WatchEvent> listener;
    private volatile Watch.Watcher watcher;
    /** Set on close or after RESET: from then on nothing reaches the listener. */
    private volatile boolean done;

    EtcdWatch(Consumer<WatchEvent> listener) {
        this.listener = listener;
    }

    void attach(Watch.Watcher w) {
        this.watcher = w;
        if (done) {
            w.close(); // RESET came before the watcher was returned to us
        }
    }

    @Override
    public void onNext(WatchResponse response) {
        for (io.etcd.jetcd.watch.WatchEvent event : response.getEvents()) {
            if (done) {
                return;
            }
            KeyValue kv = event.getKeyValue();
            String key = kv.getKey().toString(StandardCharsets.UTF_8);
            switch (event.getEventType()) {
                case PUT -> deliver(new WatchEvent(WatchEvent.Kind.PUT, key, kv.getValue().getBytes(), kv.getModRevision()));
                case DELETE -> deliver(new WatchEvent(WatchEvent.Kind.DELETE, key, null, kv.getModRevision()));
                default -> LOG.warn("unknown etcd watch event on {}: {}", key, event.getEventType());
            }
        }
    }

    @Override
    public void onError(Throwable error) {
        // jetcd either resumes (transient) or completes the watcher next (then RESET)
        LOG.debug("etcd watch error: {}", error.toString());
    }

    @Override
    public void onCompleted() {
        if (done) {
            return; // our own close
        }
        done = true;
        deliver(new WatchEvent(WatchEvent.Kind.RESET, null, null, 0));
        Watch.Watcher w = watcher;
        if (w != null) {
            w.close();
        }
    }

    private void deliver(WatchEvent event) {
        try {
            listener.accept(event);
        } catch (RuntimeException e) {
            LOG.warn("watch listener failed on {}", event, e);
        }
    }

    @Override
    public void close() {
        done = true;
        Watch.Watcher w = watcher;
        if (w != null) {
            w.close();
        }
    }
}
