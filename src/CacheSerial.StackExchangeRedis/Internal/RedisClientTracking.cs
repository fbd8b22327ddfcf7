using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace CacheSerial.StackExchangeRedis.Internal;

/// <summary>
/// Redis server-assisted invalidation for the native store (<see cref="RedisCacheStoreOptions.ClientTracking"/>): the
/// store's interactive connection, the one it writes through, turns on <c>CLIENT TRACKING ... BCAST [PREFIX p] NOLOOP</c>
/// with its reports redirected to the same multiplexer's subscription connection, subscribed to
/// <c>__redis__:invalidate</c>. BCAST reports every change under the prefix without the server remembering what was read;
/// NOLOOP leaves out this store's own writes, which the cache already has in memory.
/// </summary>
/// <remarks>
/// StackExchange.Redis does not expose the subscription connection's client id, so it is found by a probe: for each
/// subscriber that could be ours (same client name and address, from <c>CLIENT LIST TYPE pubsub</c>, newest first) the
/// interactive connection redirects a one-key tracking prefix to it and writes that key; the report that comes back to
/// our subscription names the candidate. The probe doubles as proof that our subscription receives reports, which after
/// a reconnect is what matters. Tracking lives on two connections, so either one failing or being replaced (a restart,
/// <c>CLIENT KILL</c>) loses reports: the cache is told at once, and tracking is armed again (off, probe, on) until it
/// holds on connections that did not change meanwhile; only then is the cache told it works.
/// </remarks>
internal sealed class RedisClientTracking : ICacheStoreInvalidation
{
    /// <summary>Where RESP2 tracking reports arrive.</summary>
    internal const string InvalidateChannel = "__redis__:invalidate";

    /// <summary>The probe keys of every process start with this; reports of them are never passed on.</summary>
    internal const string ProbeKeyPrefix = "__cacheserial:tracking-probe:";

    private const int MaximumCandidates = 32;

    private static readonly TimeSpan ProbeWait = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ProbeKeyLifetime = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    // A connection has one tracking configuration: a second cache arming it would silently replace the first's.
    private static readonly ConditionalWeakTable<IConnectionMultiplexer, Session> Claims = new();

    private readonly RedisConnection _connection;
    private readonly string _cacheName;
    private readonly ILogger _logger;

    public RedisClientTracking(RedisConnection connection, string cacheName, ILogger logger)
    {
        _connection = connection;
        _cacheName = cacheName;
        _logger = logger;
    }

    public async ValueTask<IAsyncDisposable?> SubscribeAsync(string storedKeyPrefix, ICacheStoreInvalidationListener listener, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(storedKeyPrefix);
        ArgumentNullException.ThrowIfNull(listener);
        cancellationToken.ThrowIfCancellationRequested();
        var database = await _connection.GetDatabaseAsync().ConfigureAwait(false);
        var multiplexer = database.Multiplexer;
        if (Unsupported(multiplexer) is { } reason)
        {
            Log.ClientTrackingUnsupported(_logger, _cacheName, reason);
            return null;
        }

        var session = new Session(this, database, storedKeyPrefix, listener);
        if (!Claims.TryAdd(multiplexer, session))
        {
            Log.ClientTrackingUnsupported(_logger, _cacheName, "another cache already uses CLIENT TRACKING on this connection (give each cache its own, or use UseRedisBackplane)");
            return null;
        }

        try
        {
            await session.StartAsync(cancellationToken).ConfigureAwait(false);
            return session;
        }
        catch (NotSupportedException ex)
        {
            await session.DisposeAsync().ConfigureAwait(false);
            Log.ClientTrackingUnsupported(_logger, _cacheName, ex.Message);
            return null;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Why this connection cannot track (null when it can); throws while it is not connected (the cache retries).</summary>
    private static string? Unsupported(IConnectionMultiplexer multiplexer)
    {
        if (!multiplexer.IsConnected)
        {
            throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, "The store is not connected yet.");
        }

        var endpoints = multiplexer.GetEndPoints();
        if (endpoints.Length != 1)
        {
            return $"the connection has {endpoints.Length.ToString(CultureInfo.InvariantCulture)} endpoints; tracking needs a single primary (not Redis Cluster, not replicas)";
        }

        var server = multiplexer.GetServer(endpoints[0]);
        if (server.ServerType != ServerType.Standalone)
        {
            return $"the server is {server.ServerType}; tracking needs a single standalone primary";
        }

        if (server.IsReplica)
        {
            return "the server is a replica; tracking needs the primary the store writes to";
        }

        if (server.Protocol is RedisProtocol.Resp3)
        {
            return "the connection uses RESP3, whose tracking reports StackExchange.Redis does not route; use RESP2 (the default)";
        }

        return null;
    }

    /// <summary>One subscription: the report queue, the tracking state of both connections, and the re-arming loop.</summary>
    private sealed class Session : IAsyncDisposable
    {
        private readonly RedisClientTracking _owner;
        private readonly IDatabase _database;
        private readonly IConnectionMultiplexer _multiplexer;
        private readonly string _prefix;
        private readonly ICacheStoreInvalidationListener _listener;
        private readonly string _probePrefix = ProbeKeyPrefix + Guid.NewGuid().ToString("N") + ":";
        private readonly CancellationTokenSource _stopping = new();
        private readonly SemaphoreSlim _wake = new(0);
        private readonly Lock _gate = new();
        private ChannelMessageQueue? _queue;
        private TaskCompletionSource<long>? _probeAnswer;
        private Task? _rearming;
        private bool _attached;

        // Under _gate: bumped by every connection event, so an arming that overlapped one is not trusted; and whether
        // the cache was told that reports flow.
        private long _generation;
        private bool _live;
        private int _disposed;

        public Session(RedisClientTracking owner, IDatabase database, string prefix, ICacheStoreInvalidationListener listener)
        {
            _owner = owner;
            _database = database;
            _multiplexer = database.Multiplexer;
            _prefix = prefix;
            _listener = listener;
        }

        private ILogger Logger => _owner._logger;

        private string CacheName => _owner._cacheName;

        /// <summary>Subscribes and arms; returns once reports flow. Throws <see cref="NotSupportedException"/> when the
        /// server refuses (not retried), anything else when it should be tried again.</summary>
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            // The cheapest question first: a server without tracking (Garnet, Redis before 6) refuses this.
            await ClientAsync(["TRACKING", "off"]).ConfigureAwait(false);

            // The events first, so that a connection lost while subscribing or arming is not missed.
            _multiplexer.ConnectionFailed += OnConnectionFailed;
            _multiplexer.ConnectionRestored += OnConnectionRestored;
            _attached = true;
            _queue = await _multiplexer.GetSubscriber().SubscribeAsync(RedisChannel.Literal(InvalidateChannel)).ConfigureAwait(false);
            _queue.OnMessage(Deliver);

            for (var attempt = 1; ; attempt++)
            {
                var generation = Generation();
                var clientId = await ArmAsync(cancellationToken).ConfigureAwait(false);
                lock (_gate)
                {
                    if (generation == _generation)
                    {
                        _live = true; // the cache marks it live itself when this returns
                        Log.ClientTrackingArmed(Logger, CacheName, clientId);
                        break;
                    }
                }

                if (attempt == 3)
                {
                    throw new RedisConnectionException(ConnectionFailureType.SocketFailure, "The store's connections changed while tracking was being armed.");
                }
            }

            _rearming = Task.Run(() => RearmLoopAsync(_stopping.Token), CancellationToken.None);
        }

        /// <summary>Points tracking at our subscription connection; returns its client id.</summary>
        private async Task<long> ArmAsync(CancellationToken cancellationToken)
        {
            var clientId = await FindSubscriptionConnectionAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new RedisConnectionException(ConnectionFailureType.SocketFailure, "No subscription connection answered the tracking probe (not subscribed again yet).");
            var id = clientId.ToString(CultureInfo.InvariantCulture);
            await ClientAsync(["TRACKING", "off"]).ConfigureAwait(false);
            await ClientAsync(_prefix.Length == 0
                ? ["TRACKING", "on", "REDIRECT", id, "BCAST", "NOLOOP"]
                : ["TRACKING", "on", "REDIRECT", id, "BCAST", "PREFIX", _prefix, "NOLOOP"]).ConfigureAwait(false);
            return clientId;
        }

        /// <summary>
        /// The client id of this multiplexer's subscription connection, proven by a report it received; null when no
        /// candidate answered (not subscribed again yet after a reconnect).
        /// </summary>
        private async Task<long?> FindSubscriptionConnectionAsync(CancellationToken cancellationToken)
        {
            string self;
            try
            {
                self = (string?)await _database.ExecuteAsync("CLIENT", "INFO").ConfigureAwait(false) ?? string.Empty;
            }
            catch (RedisServerException ex)
            {
                throw new NotSupportedException("CLIENT INFO was refused (Redis 6.2 or later is needed): " + FirstLine(ex.Message));
            }

            var me = Fields(self);
            var name = me.GetValueOrDefault("name", string.Empty);
            var host = HostOf(me.GetValueOrDefault("addr", string.Empty));
            var list = (string?)await ClientAsync(["LIST", "TYPE", "pubsub"]).ConfigureAwait(false) ?? string.Empty;
            var candidates = new List<long>();
            foreach (var line in list.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var client = Fields(line);
                if (client.GetValueOrDefault("name", string.Empty) == name
                    && HostOf(client.GetValueOrDefault("addr", string.Empty)) == host
                    && long.TryParse(client.GetValueOrDefault("id"), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                {
                    candidates.Add(id);
                }
            }

            if (candidates.Count == 0)
            {
                return null;
            }

            // Newest first: after a reconnect ours is among the latest.
            candidates.Sort((a, b) => b.CompareTo(a));
            if (candidates.Count > MaximumCandidates)
            {
                candidates.RemoveRange(MaximumCandidates, candidates.Count - MaximumCandidates);
            }

            var answer = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _probeAnswer, answer);
            var keys = new List<RedisKey>(candidates.Count);
            try
            {
                foreach (var candidate in candidates)
                {
                    var id = candidate.ToString(CultureInfo.InvariantCulture);
                    var key = _probePrefix + id + ":";
                    try
                    {
                        // Without NOLOOP: our own write of the key is what the candidate is told about.
                        await ClientAsync(["TRACKING", "on", "REDIRECT", id, "BCAST", "PREFIX", key]).ConfigureAwait(false);
                    }
                    catch (RedisServerException)
                    {
                        continue; // that client left since the list was read
                    }

                    try
                    {
                        keys.Add(key);
                        await _database.StringSetAsync(key, RedisValue.EmptyString, ProbeKeyLifetime).ConfigureAwait(false);
                    }
                    finally
                    {
                        await ClientAsync(["TRACKING", "off"]).ConfigureAwait(false);
                    }
                }

                return await answer.Task.WaitAsync(ProbeWait, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return null;
            }
            finally
            {
                Volatile.Write(ref _probeAnswer, null);
                if (keys.Count > 0)
                {
                    _ = _database.KeyDeleteAsync([.. keys], CommandFlags.FireAndForget);
                }
            }
        }

        /// <summary>A CLIENT subcommand on the interactive connection; a refusal that means "cannot" is <see cref="NotSupportedException"/>.</summary>
        private async Task<RedisResult> ClientAsync(object[] arguments)
        {
            try
            {
                return await _database.ExecuteAsync("CLIENT", arguments).ConfigureAwait(false);
            }
            catch (RedisServerException ex) when (IsRefusal(ex.Message))
            {
                throw new NotSupportedException($"the server refused CLIENT {arguments[0]}: {FirstLine(ex.Message)}");
            }
            catch (RedisCommandException ex)
            {
                // The client itself will not send it (a command map that disables CLIENT, for example).
                throw new NotSupportedException($"CLIENT {arguments[0]} cannot be sent: {FirstLine(ex.Message)}");
            }
        }

        private static bool IsRefusal(string message) =>
            message.StartsWith("NOPERM", StringComparison.Ordinal)
            || message.Contains("unknown command", StringComparison.OrdinalIgnoreCase)
            || message.Contains("unknown subcommand", StringComparison.OrdinalIgnoreCase)
            || message.Contains("not supported", StringComparison.OrdinalIgnoreCase)
            || message.Contains("syntax error", StringComparison.OrdinalIgnoreCase);

        private void Deliver(ChannelMessage message)
        {
            if (Volatile.Read(ref _disposed) != 0)
            {
                return;
            }

            try
            {
                var value = message.Message;
                if (value.IsNull)
                {
                    _listener.OnAllChanged(); // FLUSHALL, FLUSHDB, or the server dropped its tracking table
                    return;
                }

                var key = (string?)value ?? string.Empty;
                if (key.StartsWith(ProbeKeyPrefix, StringComparison.Ordinal))
                {
                    if (key.StartsWith(_probePrefix, StringComparison.Ordinal)
                        && long.TryParse(key.AsSpan(_probePrefix.Length).TrimEnd(':'), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                    {
                        Volatile.Read(ref _probeAnswer)?.TrySetResult(id);
                    }

                    return; // our probe, or another process's that tried our connection: no cache key
                }

                _listener.OnKeyChanged(key);
            }
            catch (Exception ex)
            {
                Log.InvalidationListenerFailed(Logger, CacheName, "server-assisted invalidation", ex.GetType().Name, ex);
            }
        }

        private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e) => ConnectionChanged(e, "failed");

        // Events arrive on the thread pool in any order, so a restore may come before its failure: either one means a
        // connection was replaced, and with it the tracking state (interactive) or the redirect target (subscription).
        private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e) => ConnectionChanged(e, "restored");

        private void ConnectionChanged(ConnectionFailedEventArgs e, string what)
        {
            if (e.ConnectionType is not (ConnectionType.Interactive or ConnectionType.Subscription) || Volatile.Read(ref _disposed) != 0)
            {
                return;
            }

            try
            {
                lock (_gate)
                {
                    _generation++;
                    if (_live)
                    {
                        _live = false;
                        Log.ClientTrackingLost(Logger, CacheName, e, what);
                        _listener.OnConnectionLost();
                    }
                }

                if (_wake.CurrentCount == 0)
                {
                    _wake.Release();
                }
            }
            catch (Exception)
            {
                // Nothing may escape into the client's event raiser.
            }
        }

        private long Generation()
        {
            lock (_gate)
            {
                return _generation;
            }
        }

        private bool IsLive()
        {
            lock (_gate)
            {
                return _live;
            }
        }

        /// <summary>After a connection event: arm again until it holds on connections that did not change meanwhile.</summary>
        private async Task RearmLoopAsync(CancellationToken stopping)
        {
            while (!stopping.IsCancellationRequested)
            {
                await _wake.WaitAsync(stopping).ConfigureAwait(false);
                var failures = 0;

                // A wake left over from an event that the last arming already covered. Arming while live would be wrong,
                // not just wasteful: tracking is off for a moment while the cache trusts memory.
                while (!IsLive())
                {
                    long generation;
                    lock (_gate)
                    {
                        generation = _generation;

                        // Again, in case the loss came just after SubscribeAsync armed tracking and before the cache
                        // marked it live (it ignores a loss of what it does not trust yet); a no-op otherwise.
                        _listener.OnConnectionLost();
                    }

                    try
                    {
                        var clientId = await ArmAsync(stopping).ConfigureAwait(false);
                        lock (_gate)
                        {
                            if (generation == _generation && Volatile.Read(ref _disposed) == 0)
                            {
                                _live = true;
                                Log.ClientTrackingArmed(Logger, CacheName, clientId);
                                _listener.OnConnectionRestored(); // under the gate: never after a later loss
                                break;
                            }
                        }

                        continue; // a connection changed while arming: at once again
                    }
                    catch (Exception ex) when (!stopping.IsCancellationRequested)
                    {
                        if (failures++ == 0)
                        {
                            Log.ClientTrackingArmFailed(Logger, CacheName, ex);
                        }
                    }

                    await Task.Delay(RetryDelay, stopping).ConfigureAwait(false);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            if (_attached)
            {
                _multiplexer.ConnectionFailed -= OnConnectionFailed;
                _multiplexer.ConnectionRestored -= OnConnectionRestored;
            }

            await _stopping.CancelAsync().ConfigureAwait(false);
            if (_rearming is { } rearming)
            {
                try
                {
                    await rearming.ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }

            // Only this session removes its own claim, and no other can be added while it holds: no race.
            if (Claims.TryGetValue(_multiplexer, out var claimed) && ReferenceEquals(claimed, this))
            {
                Claims.Remove(_multiplexer);
            }

            try
            {
                // Best effort: a connection that is gone took its tracking with it.
                await _database.ExecuteAsync("CLIENT", "TRACKING", "off").WaitAsync(CloseTimeout).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.ClientTrackingCloseFailed(Logger, CacheName, ex);
            }

            try
            {
                if (_queue is { } queue)
                {
                    await queue.UnsubscribeAsync().WaitAsync(CloseTimeout).ConfigureAwait(false);
                }
            }
            catch (Exception ex)
            {
                Log.ClientTrackingCloseFailed(Logger, CacheName, ex);
            }

            _stopping.Dispose();
            _wake.Dispose();
        }

        /// <summary>The key=value fields of one CLIENT LIST / CLIENT INFO line (names and values hold no spaces).</summary>
        private static Dictionary<string, string> Fields(string line)
        {
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var token in line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var equals = token.IndexOf('=', StringComparison.Ordinal);
                if (equals > 0)
                {
                    fields[token[..equals]] = token[(equals + 1)..];
                }
            }

            return fields;
        }

        /// <summary>The address without its port (IPv6 included: the port follows the last colon).</summary>
        private static string HostOf(string address)
        {
            var colon = address.LastIndexOf(':');
            return colon < 0 ? address : address[..colon];
        }

        /// <summary>A server's error reply, one line, without the final period (the log line adds its own).</summary>
        private static string FirstLine(string message)
        {
            var end = message.IndexOfAny(['\r', '\n']);
            return (end < 0 ? message : message[..end]).TrimEnd('.');
        }
    }
}
