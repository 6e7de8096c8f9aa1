package io.moonshard.controller.model;

import java.util.Objects;

/** One Redis node of a cluster and the proxy that serves it. */
public record NodeRef(String proxy, String node) {

    public NodeRef {
        Objects.requireNonNull(proxy, "proxy");
        Objects.requireNonNull(node, "node");
    }
}
