package io.conpool.benchmarks;

/** What the run prints: to the console as it goes, and kept for the text copy of the results. */
final class Report {

    private final StringBuilder text = new StringBuilder();

    synchronized void line(String s) {
        System.out.println(s);
        System.out.flush();
        text.append(s).append('\n');
    }

    synchronized String text() {
        return text.toString();
    }
}
