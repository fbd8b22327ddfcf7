using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using CacheSerial.IntegrationTests.Infrastructure;

namespace CacheSerial.IntegrationTests.Faults;

/// <summary>What a <see cref="TcpFaultProxy"/> does with connections; a change applies to existing and new ones.</summary>
public enum ProxyMode
{
    /// <summary>Forwards bytes both ways (after <see cref="TcpFaultProxy.Latency"/>, if any).</summary>
    Pass,

    /// <summary>
    /// Accepts and keeps connections but forwards nothing either way, so clients wait until their own timeouts. Bytes read
    /// meanwhile are held and delivered when the mode changes back to <see cref="Pass"/>, as after a healed partition.
    /// </summary>
    Blackhole,

    /// <summary>Aborts every current connection with a TCP RST (both sides) and resets new ones as soon as they are accepted.</summary>
    Reset,

    /// <summary>
    /// Stops listening, so connects are refused, and resets current connections (as when the server process is gone).
    /// Another mode listens again on the same port.
    /// </summary>
    Refuse,
}

/// <summary>
/// An in-process TCP proxy on 127.0.0.1 (a free port) in front of a loopback target, with faults switchable at run time
/// (<see cref="SetModeAsync"/>, <see cref="Latency"/>). Everything is asynchronous sockets: no thread is blocked per
/// connection, and every task it starts is awaited by <see cref="DisposeAsync"/>, its exceptions observed.
/// </summary>
public sealed class TcpFaultProxy : IAsyncDisposable
{
    private const int ChunkSize = 16 * 1024;

    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _disposed = new();
    private readonly ConcurrentDictionary<Connection, byte> _connections = new();
    private readonly ConcurrentDictionary<Task, byte> _tasks = new();
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _modeChange = new(1, 1);

    private ProxyMode _mode = ProxyMode.Pass;
    private TaskCompletionSource _modeChanged = NewSignal();
    private Socket? _listener;
    private long _latencyTicks;
    private long _connectionsAccepted;
    private long _bytesToTarget;
    private long _bytesToClient;

    private TcpFaultProxy(IPEndPoint target, Socket listener)
    {
        _target = target;
        _listener = listener;
        Port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        Track(AcceptLoopAsync(listener));
    }

    /// <summary>Always 127.0.0.1.</summary>
    public string Host => "127.0.0.1";

    /// <summary>The port clients connect to; it stays the same through <see cref="ProxyMode.Refuse"/> and back.</summary>
    public int Port { get; }

    /// <summary>host:port of the proxy, for a client's configuration.</summary>
    public string Endpoint => $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>host:port the proxy forwards to.</summary>
    public string Target => _target.ToString();

    /// <summary>The current mode.</summary>
    public ProxyMode Mode
    {
        get
        {
            lock (_gate)
            {
                return _mode;
            }
        }
    }

    /// <summary>Added before each forwarded chunk, in both directions; zero (the default) for none. Takes effect on the next chunk.</summary>
    public TimeSpan Latency
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _latencyTicks));
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            Interlocked.Exchange(ref _latencyTicks, value.Ticks);
        }
    }

    /// <summary>Connections accepted since start (including those reset on accept).</summary>
    public long ConnectionsAccepted => Interlocked.Read(ref _connectionsAccepted);

    /// <summary>Connections currently relayed; an aborted one leaves this count once its relay task has ended.</summary>
    public int OpenConnections => _connections.Count;

    /// <summary>Bytes forwarded from clients to the target.</summary>
    public long BytesToTarget => Interlocked.Read(ref _bytesToTarget);

    /// <summary>Bytes forwarded from the target to clients.</summary>
    public long BytesToClient => Interlocked.Read(ref _bytesToClient);

    /// <summary>Starts a proxy to <paramref name="targetHost"/>:<paramref name="targetPort"/>, which must be a loopback address.</summary>
    public static TcpFaultProxy Start(string targetHost, int targetPort)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(targetPort, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(targetPort, 65535);
        if (!LoopbackProbe.IsLoopback(targetHost))
        {
            throw new ArgumentException($"'{targetHost}' is not a loopback address: the fault proxy forwards to loopback targets only.", nameof(targetHost));
        }

        var bare = targetHost.Trim('[', ']');
        var address = IPAddress.TryParse(bare, out var parsed) ? parsed : IPAddress.Loopback; // "localhost"
        return new TcpFaultProxy(new IPEndPoint(address, targetPort), Listen(port: 0));
    }

    /// <summary>
    /// Switches the mode. <see cref="ProxyMode.Reset"/> and <see cref="ProxyMode.Refuse"/> have aborted every current
    /// connection when this returns; leaving <see cref="ProxyMode.Refuse"/> listens again on <see cref="Port"/> (retrying
    /// while the port is briefly busy) before it returns.
    /// </summary>
    public async ValueTask SetModeAsync(ProxyMode mode, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        await _modeChange.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
            var previous = Mode;
            if (previous == mode)
            {
                return;
            }

            // Bound before the mode changes (a failure leaves the proxy refusing); accepting starts after it changes.
            var listener = previous == ProxyMode.Refuse ? await ListenAgainAsync(cancellationToken).ConfigureAwait(false) : null;

            TaskCompletionSource changed;
            lock (_gate)
            {
                _mode = mode;
                changed = _modeChanged;
                _modeChanged = NewSignal();
                _listener ??= listener;
            }

            changed.TrySetResult(); // wakes pumps held by a blackhole: they look at the new mode
            if (listener is not null)
            {
                Track(AcceptLoopAsync(listener));
            }

            if (mode is ProxyMode.Reset or ProxyMode.Refuse)
            {
                foreach (var connection in _connections.Keys)
                {
                    connection.Abort();
                }
            }

            if (mode == ProxyMode.Refuse)
            {
                Socket? closing;
                lock (_gate)
                {
                    closing = _listener;
                    _listener = null;
                }

                closing?.Dispose(); // its accept loop ends; the kernel now refuses connects to the port
            }
        }
        finally
        {
            _modeChange.Release();
        }
    }

    /// <summary>Stops listening, aborts every connection and waits for all of the proxy's tasks.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        // Not while a mode change is binding a listener; one waiting after this sees the proxy disposed.
        await _modeChange.WaitAsync().ConfigureAwait(false);
        try
        {
            await _disposed.CancelAsync().ConfigureAwait(false);
        }
        finally
        {
            _modeChange.Release();
        }

        Socket? listener;
        lock (_gate)
        {
            listener = _listener;
            _listener = null;
            _modeChanged.TrySetResult();
        }

        listener?.Dispose();
        foreach (var connection in _connections.Keys)
        {
            connection.Abort();
        }

        // Every tracked task catches its own exceptions; this only waits for them to end.
        await Task.WhenAll(_tasks.Keys).ConfigureAwait(false);
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static Socket Listen(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            // Lets the port be bound again after Refuse while connections accepted on it are still closing.
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            socket.Listen(128);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task<Socket> ListenAgainAsync(CancellationToken cancellationToken)
    {
        // Another process may hold the port for a moment (it was free only while we listened); give up after a bound.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return Listen(Port);
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse && attempt < 100)
            {
                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private void Track(Task task)
    {
        _tasks.TryAdd(task, 0);
        _ = task.ContinueWith(
            static (done, state) => ((ConcurrentDictionary<Task, byte>)state!).TryRemove(done, out _),
            _tasks,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        try
        {
            while (true)
            {
                Socket client;
                try
                {
                    client = await listener.AcceptAsync(_disposed.Token).ConfigureAwait(false);
                }
                catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
                {
                    continue; // that client gave up before it was accepted; keep listening
                }

                Interlocked.Increment(ref _connectionsAccepted);
                var mode = Mode;
                if (mode is ProxyMode.Reset or ProxyMode.Refuse)
                {
                    ResetAndClose(client);
                    continue;
                }

                Track(RelayAsync(client));
            }
        }
        catch (Exception ex) when (ex is ObjectDisposedException or SocketException or OperationCanceledException)
        {
            // The listener was closed (Refuse or dispose).
        }
    }

    private async Task RelayAsync(Socket client)
    {
        var upstream = new Socket(_target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        var connection = new Connection(client, upstream, _disposed.Token);
        _connections.TryAdd(connection, 0);
        try
        {
            // A mode change to Reset/Refuse between accept and here must still abort this connection.
            if (Mode is ProxyMode.Reset or ProxyMode.Refuse)
            {
                connection.Abort();
                return;
            }

            try
            {
                await upstream.ConnectAsync(_target, connection.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                connection.Abort(); // the target is down: the client sees a reset, as it would from the server itself
                return;
            }

            await Task.WhenAll(
                PumpAsync(connection, client, upstream, toTarget: true),
                PumpAsync(connection, upstream, client, toTarget: false)).ConfigureAwait(false);
        }
        finally
        {
            _connections.TryRemove(connection, out _);
            connection.Dispose();
        }
    }

    private async Task PumpAsync(Connection connection, Socket from, Socket to, bool toTarget)
    {
        var buffer = new byte[ChunkSize];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, connection.Token).ConfigureAwait(false);
                if (!await WaitUntilForwardingAsync(connection.Token).ConfigureAwait(false))
                {
                    connection.Abort();
                    return;
                }

                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send); // pass the FIN on; the other direction may still be in use
                    return;
                }

                var latency = Latency;
                if (latency > TimeSpan.Zero)
                {
                    await Task.Delay(latency, connection.Token).ConfigureAwait(false);
                }

                // Counted before sending, so a peer that has the bytes also sees them counted.
                Interlocked.Add(ref toTarget ? ref _bytesToTarget : ref _bytesToClient, read);
                var sent = 0;
                while (sent < read)
                {
                    sent += await to.SendAsync(buffer.AsMemory(sent, read - sent), SocketFlags.None, connection.Token).ConfigureAwait(false);
                }
            }
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // One side failed (or was aborted): abort both, so the failure reaches the other peer as a reset.
            connection.Abort();
        }
    }

    /// <summary>Waits while the mode is Blackhole; false when the connection must be aborted instead of forwarding.</summary>
    private async Task<bool> WaitUntilForwardingAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ProxyMode mode;
            Task changed;
            lock (_gate)
            {
                mode = _mode;
                changed = _modeChanged.Task;
            }

            switch (mode)
            {
                case ProxyMode.Pass:
                    return true;
                case ProxyMode.Blackhole:
                    await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
                    if (_disposed.IsCancellationRequested)
                    {
                        return false;
                    }

                    break;
                default:
                    return false;
            }
        }
    }

    private static void ResetAndClose(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0); // close sends RST instead of FIN
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed by its peer: nothing to reset.
        }

        socket.Dispose();
    }

    /// <summary>One client connection and its upstream connection; <see cref="Abort"/> resets both, once.</summary>
    private sealed class Connection(Socket client, Socket upstream, CancellationToken proxyDisposed) : IDisposable
    {
        private readonly CancellationTokenSource _aborted = CancellationTokenSource.CreateLinkedTokenSource(proxyDisposed);
        private int _closed;

        public CancellationToken Token => _aborted.Token;

        public void Abort()
        {
            if (Interlocked.Exchange(ref _closed, 1) != 0)
            {
                return;
            }

            // Sockets first, so the RST goes out before the pumps' pending operations are cancelled.
            ResetAndClose(client);
            ResetAndClose(upstream);
            try
            {
                _aborted.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                // Both directions ended normally: close without RST.
                client.Dispose();
                upstream.Dispose();
            }

            _aborted.Dispose();
        }
    }
}
