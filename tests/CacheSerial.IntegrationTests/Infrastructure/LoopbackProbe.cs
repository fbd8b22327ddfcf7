using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CacheSerial.IntegrationTests.Infrastructure;

/// <summary>Small network helpers for the fixture. Every address they touch is a loopback address.</summary>
internal static class LoopbackProbe
{
    /// <summary>True for <c>localhost</c> and for IP literals in 127.0.0.0/8 or ::1.</summary>
    public static bool IsLoopback(string host)
    {
        var bare = host.Trim('[', ']');
        return string.Equals(bare, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(bare, out var address) && IPAddress.IsLoopback(address));
    }

    /// <summary>Parses <c>host:port</c> (IPv6 in brackets: <c>[::1]:6379</c>).</summary>
    public static bool TryParseEndpoint(string value, out string host, out int port)
    {
        host = string.Empty;
        port = 0;
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || colon == value.Length - 1)
        {
            return false;
        }

        host = value[..colon].Trim('[', ']');
        return host.Length > 0 && int.TryParse(value.AsSpan(colon + 1), out port) && port is > 0 and <= 65535;
    }

    /// <summary>A port that was free a moment ago on 127.0.0.1 (the OS picks it; a race with another process is possible).</summary>
    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>Sends one RESP PING and returns true on <c>+PONG</c>; false on any failure or timeout.</summary>
    public static async Task<bool> PingAsync(string host, int port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!IsLoopback(host))
        {
            throw new InvalidOperationException($"Refusing to contact '{host}': the integration tests use loopback addresses only.");
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(host, port, cts.Token).ConfigureAwait(false);
            var stream = client.GetStream();
            await stream.WriteAsync("*1\r\n$4\r\nPING\r\n"u8.ToArray(), cts.Token).ConfigureAwait(false);
            var buffer = new byte[64];
            var read = await stream.ReadAsync(buffer, cts.Token).ConfigureAwait(false);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// True when a Docker engine answers <c>GET /_ping</c>: on DOCKER_HOST (unix socket, or tcp on a loopback address),
    /// else on /var/run/docker.sock. The reason for a false answer is returned for the output.
    /// </summary>
    public static async Task<(bool Answers, string Detail)> DockerAnswersAsync(CancellationToken cancellationToken)
    {
        var dockerHost = Environment.GetEnvironmentVariable("DOCKER_HOST");
        EndPoint endpoint;
        string where;
        if (!string.IsNullOrWhiteSpace(dockerHost))
        {
            if (dockerHost.StartsWith("unix://", StringComparison.Ordinal))
            {
                where = dockerHost["unix://".Length..];
                endpoint = new UnixDomainSocketEndPoint(where);
            }
            else if (dockerHost.StartsWith("tcp://", StringComparison.Ordinal)
                && Uri.TryCreate(dockerHost, UriKind.Absolute, out var uri)
                && IsLoopback(uri.Host))
            {
                where = dockerHost;
                endpoint = new IPEndPoint(IPAddress.Parse(uri.Host.Trim('[', ']') is "localhost" ? "127.0.0.1" : uri.Host.Trim('[', ']')), uri.Port);
            }
            else
            {
                return (false, $"DOCKER_HOST={dockerHost} is not a unix socket or a loopback tcp address");
            }
        }
        else
        {
            where = "/var/run/docker.sock";
            if (!File.Exists(where))
            {
                return (false, "no DOCKER_HOST and no /var/run/docker.sock");
            }

            endpoint = new UnixDomainSocketEndPoint(where);
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream,
                endpoint is UnixDomainSocketEndPoint ? ProtocolType.Unspecified : ProtocolType.Tcp);
            await socket.ConnectAsync(endpoint, cts.Token).ConfigureAwait(false);
            await socket.SendAsync("GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n"u8.ToArray(), SocketFlags.None, cts.Token)
                .ConfigureAwait(false);
            var buffer = new byte[256];
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token).ConfigureAwait(false);
            var status = Encoding.ASCII.GetString(buffer, 0, read).Split("\r\n")[0];
            return status.Contains(" 200", StringComparison.Ordinal)
                ? (true, $"Docker engine at {where}")
                : (false, $"{where} answered '{status}'");
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return (false, $"{where} does not answer ({ex.GetType().Name}: {ex.Message})");
        }
    }

    /// <summary>The full path of an executable on PATH, or null.</summary>
    public static string? FindOnPath(string name)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate) && (OperatingSystem.IsWindows()
                || (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0))
            {
                return candidate;
            }
        }

        return null;
    }
}
