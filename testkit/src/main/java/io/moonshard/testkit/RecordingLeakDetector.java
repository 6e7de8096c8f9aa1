package io.moonshard.testkit;

import io.netty.util.ResourceLeakDetector;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A {@link ResourceLeakDetector} that records every leak report instead of only logging it, so that
 * {@link LeakCheckExtension} can fail the test that leaked. Installed through the system property
 * {@code io.netty.customResourceLeakDetector} (see the parent pom), together with
 * {@code io.netty.leakDetection.level=paranoid} so every buffer is tracked.
 */
public final class RecordingLeakDetector<T> extends ResourceLeakDetector<T> {

    private static final ConcurrentLinkedQueue<String> REPORTS = new ConcurrentLinkedQueue<>();

    public RecordingLeakDetector(Class<?> resourceType, int samplingInterval, long maxActive) {
        super(resourceType, samplingInterval, maxActive);
    }

    public RecordingLeakDetector(Class<?> resourceType, int samplingInterval) {
        super(resourceType, samplingInterval);
    }

    /** Reports gathered so far, oldest first; they are removed from the detector. */
    public static List<String> drainReports() {
        List<String> out = new ArrayList<>();
        for (String r; (r = REPORTS.poll()) != null; ) {
            out.add(r);
        }
        return out;
    }

    /** True when the JVM runs with this detector (the tests' default); false e.g. in an IDE run. */
    public static boolean installed() {
        return RecordingLeakDetector.class.getName()
                .equals(System.getProperty("io.netty.customResourceLeakDetector"));
    }

    @Override
    protected boolean needReport() {
        return true;
    }

    @Override
    protected void reportTracedLeak(String resourceType, String records) {
        REPORTS.add("LEAK: " + resourceType + " was not released before it was garbage-collected." + records);
        super.reportTracedLeak(resourceType, records);
    }

    @Override
    protected void reportUntracedLeak(String resourceType) {
        REPORTS.add("LEAK: " + resourceType + " was not released before it was garbage-collected.");
        super.reportUntracedLeak(resourceType);
    }
}
