package io.moonshard.controller.reconcile;

/**
 * Where things live in the store, under one prefix (default {@code /moonshard}) so several pools can
 * share an etcd:
 * <ul>
 *   <li>{@code <p>/proxies/<address>}: a {@code ProxyRecord}, the pool;</li>
 *   <li>{@code <p>/owners/<address>}: the name of the cluster holding that proxy; absent: free;</li>
 *   <li>{@code <p>/clusters/<name>}: a {@code ClusterRecord}, whose mod_revision gives the epochs;</li>
 *   <li>{@code <p>/leader}: the leading controller, on its lease.</li>
 * </ul>
 */
public record Keys(String prefix) {

    public static final Keys DEFAULT = new Keys("/moonshard");

    public Keys {
        if (!prefix.startsWith("/") || prefix.endsWith("/")) {
            throw new IllegalArgumentException("a store prefix starts with / and does not end with it: " + prefix);
        }
    }

    public String proxies() {
        return prefix + "/proxies/";
    }

    public String proxy(String address) {
        return proxies() + address;
    }

    public String owners() {
        return prefix + "/owners/";
    }

    public String owner(String address) {
        return owners() + address;
    }

    public String clusters() {
        return prefix + "/clusters/";
    }

    public String cluster(String name) {
        return clusters() + name;
    }

    public String leader() {
        return prefix + "/leader";
    }

    /** The last path element of {@code key} under {@code dir}. */
    public static String tail(String key, String dir) {
        return key.substring(dir.length());
    }
}
