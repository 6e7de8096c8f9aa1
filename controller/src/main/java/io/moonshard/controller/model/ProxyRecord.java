package io.moonshard.controller.model;

import java.util.List;
import java.util.Objects;

/**
 * A proxy of the pool: its address (as clients and peers reach it, {@code host:port}), the host it runs
 * on (placement keeps a master and its replica on different hosts), and the Redis nodes beside it that
 * it may serve ({@code host:port} each; undermoon registers exactly two).
 */
public record ProxyRecord(String address, String host, List<String> nodes) {

    public ProxyRecord {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(host, "host");
        nodes = List.copyOf(nodes);
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("a proxy needs at least one Redis node: " + address);
        }
    }
}
