package io.conpool;

/** Syntax checks for host names and IP literals, without any DNS lookup. */
final class HostNames {

    private HostNames() {
    }

    /** Returns the host in canonical form (IPv6 without brackets, lower case) or throws naming it. */
    static String normalize(String host) {
        if (host == null || host.isBlank()) {
            throw new InvalidEndpointException(String.valueOf(host), "host must not be empty");
        }
        if (!host.equals(host.strip()) || host.chars().anyMatch(Character::isWhitespace)) {
            throw new InvalidEndpointException(host, "host must not contain spaces");
        }
        if (host.contains("://") || host.contains("/")) {
            throw new InvalidEndpointException(host, "host must be a name or an IP address, without scheme or path");
        }
        String h = host;
        if (h.startsWith("[") || h.endsWith("]")) {
            if (!(h.startsWith("[") && h.endsWith("]"))) {
                throw new InvalidEndpointException(host, "unbalanced brackets around an IPv6 address");
            }
            h = h.substring(1, h.length() - 1);
            if (!isIpv6(h)) {
                throw new InvalidEndpointException(host, "not a valid IPv6 address");
            }
            return h.toLowerCase(java.util.Locale.ROOT);
        }
        if (h.indexOf(':') >= 0) {
            if (!isIpv6(h)) {
                throw new InvalidEndpointException(host,
                        "not a valid IPv6 address (a scheme such as 'redis:' or a port does not belong in the host)");
            }
            return h.toLowerCase(java.util.Locale.ROOT);
        }
        if (h.length() > 253) {
            throw new InvalidEndpointException(host, "host name longer than 253 characters");
        }
        for (String label : h.split("\\.", -1)) {
            if (label.isEmpty() || label.length() > 63) {
                throw new InvalidEndpointException(host, "empty or over-long label in host name");
            }
            if (label.startsWith("-") || label.endsWith("-")) {
                throw new InvalidEndpointException(host, "a host name label must not start or end with '-'");
            }
            for (int i = 0; i < label.length(); i++) {
                char c = label.charAt(i);
                if (!(Character.isLetterOrDigit(c) && c < 128) && c != '-' && c != '_') {
                    throw new InvalidEndpointException(host, "character '" + c + "' is not allowed in a host name");
                }
            }
        }
        if (looksNumeric(h) && !isIpv4(h)) {
            throw new InvalidEndpointException(host, "not a valid IPv4 address");
        }
        return h.toLowerCase(java.util.Locale.ROOT);
    }

    static boolean isIpLiteral(String host) {
        return host.indexOf(':') >= 0 || isIpv4(host);
    }

    private static boolean looksNumeric(String h) {
        return h.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'));
    }

    static boolean isIpv4(String h) {
        String[] parts = h.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return false;
            }
            if (Integer.parseInt(p) > 255) {
                return false;
            }
        }
        return true;
    }

    static boolean isIpv6(String h) {
        String addr = h;
        int zone = addr.indexOf('%');
        if (zone >= 0) {
            if (zone == addr.length() - 1) {
                return false;
            }
            addr = addr.substring(0, zone);
        }
        if (addr.isEmpty()) {
            return false;
        }
        int doubleColon = addr.indexOf("::");
        if (doubleColon >= 0 && addr.indexOf("::", doubleColon + 1) >= 0) {
            return false;
        }
        int groups = 0;
        String[] parts = addr.split(":", -1);
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i];
            if (p.isEmpty()) {
                continue; // part of "::" (checked above) or a leading/trailing ':' of it
            }
            if (i == parts.length - 1 && p.indexOf('.') >= 0) {
                if (!isIpv4(p)) {
                    return false;
                }
                groups += 2;
                continue;
            }
            if (p.length() > 4 || !p.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
                return false;
            }
            groups++;
        }
        if (doubleColon < 0) {
            // Without "::" there are no empty parts and exactly eight groups.
            for (String p : parts) {
                if (p.isEmpty()) {
                    return false;
                }
            }
            return groups == 8;
        }
        // Single ':' at either end (":1::" or "::1:") is invalid unless part of "::".
        if ((addr.startsWith(":") && !addr.startsWith("::")) || (addr.endsWith(":") && !addr.endsWith("::"))) {
            return false;
        }
        return groups < 8;
    }
}
