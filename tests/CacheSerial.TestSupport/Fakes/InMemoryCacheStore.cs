using System.Buffers;

namespace CacheSerial.TestSupport.Fakes;

/// <summary>What a call to an <see cref="InMemoryCacheStore"/> was.</summary>
public enum StoreCallKind
{
    Get,
    Set,
    Remove,
    Refresh,
    LockAcquire,
    LockRelease,
}

/// <summary>
/// One call an <see cref="InMemoryCacheStore"/> answered (calls failed by an injected fault are not logged). Succeeded:
/// for a read, the entry was there; for an acquire, the lock was taken; for a release, the token still held it.
/// </summary>
public readonly record struct StoreCall(StoreCallKind Kind, string Key, bool Succeeded);

/// <summary>
/// An <see cref="ICacheStore"/> with a distributed lock, in memory, on a <see cref="TimeProvider"/>: what a Redis server
/// is to several processes, for several caches in one test (each with its own container, like a process). Entries and
/// locks expire on the given clock (a lock's lease too, which is how a test simulates a holder that crashed). Logs every
/// answered call in order, so a test can assert the order of a write and a release, and can inject lock faults.
/// </summary>
public sealed class InMemoryCacheStore : ICacheStore, ICacheStoreLock
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, StoredEntry> _entries = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Token, DateTimeOffset ExpiresAt)> _locks = new(StringComparer.Ordinal);
    private readonly List<StoreCall> _calls = [];
    private readonly List<(Func<IReadOnlyList<StoreCall>, bool> Condition, TaskCompletionSource Done)> _watchers = [];
    private readonly TimeProvider _time;
    private long _tokens;
    private int _lockAttempts;

    /// <param name="time">The clock entries and leases expire on.</param>
    /// <param name="waitTimeout">The lock's <see cref="ICacheStoreLock.WaitTimeout"/>.</param>
    /// <param name="lease">How long a taken lock lives unless released.</param>
    /// <param name="withLock">False for a store without a lock (<see cref="DistributedLock"/> is null).</param>
    public InMemoryCacheStore(TimeProvider time, TimeSpan waitTimeout, TimeSpan lease, bool withLock = true)
    {
        _time = time;
        WaitTimeout = waitTimeout;
        Lease = lease;
        DistributedLock = withLock ? this : null;
    }

    public ICacheStoreLock? DistributedLock { get; }

    public TimeSpan WaitTimeout { get; }

    public TimeSpan Lease { get; }

    /// <summary>How <see cref="TryAcquireAsync"/> fails: <see cref="StoreFault.Throw"/>, <see cref="StoreFault.Faulted"/> or <see cref="StoreFault.Hang"/> (never answers).</summary>
    public StoreFault AcquireFault { get; set; }

    /// <summary>How <see cref="ReleaseAsync"/> fails, as for <see cref="AcquireFault"/>.</summary>
    public StoreFault ReleaseFault { get; set; }

    /// <summary>
    /// Runs at the start of every <see cref="TryAcquireAsync"/> with the key (outside the store's own lock, so it may call
    /// the store): lets a test act, as another process, at an exact point of a waiting cache's loop.
    /// </summary>
    public Action<string>? BeforeAcquire { get; set; }

    /// <summary>How many times <see cref="TryAcquireAsync"/> was called, failed calls included.</summary>
    public int LockAttempts => Volatile.Read(ref _lockAttempts);

    /// <summary>Every answered call so far, in order.</summary>
    public IReadOnlyList<StoreCall> Calls
    {
        get
        {
            lock (_gate)
            {
                return [.. _calls];
            }
        }
    }

    /// <summary>Completes once the call log satisfies <paramref name="condition"/> (checked now and after every call).</summary>
    public Task WhenCallsAsync(Func<IReadOnlyList<StoreCall>, bool> condition)
    {
        lock (_gate)
        {
            if (condition(_calls))
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _watchers.Add((condition, done));
            return done.Task;
        }
    }

    /// <summary>Whether someone holds the lock of <paramref name="storeKey"/> now (its lease not run out).</summary>
    public bool IsLocked(string storeKey)
    {
        lock (_gate)
        {
            return TryGetLock(storeKey, out _);
        }
    }

    /// <summary>Takes the lock of <paramref name="storeKey"/> as another process would (not logged); returns its token.</summary>
    public string HoldLock(string storeKey)
    {
        lock (_gate)
        {
            return TakeLock(storeKey) ?? throw new InvalidOperationException($"The lock of '{storeKey}' is already held.");
        }
    }

    // A stored array is never changed (a write replaces it), so a read hands it out as is.
    public ValueTask<CacheStoreLease> GetAsync(string key, TimeSpan? slidingExpiration, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var found = TryGetEntry(key, out var entry);
            if (found)
            {
                if (entry.Sliding is { } sliding)
                {
                    var renewed = _time.GetUtcNow() + sliding;
                    _entries[key] = entry with { ExpiresAt = entry.End is { } end && end < renewed ? end : renewed };
                }
            }

            Record(StoreCallKind.Get, key, found);
            return new ValueTask<CacheStoreLease>(found ? new CacheStoreLease(entry.Value) : CacheStoreLease.None);
        }
    }

    public ValueTask SetAsync(string key, ReadOnlySequence<byte> value, CacheStoreEntryOptions options, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            _entries[key] = new StoredEntry(
                value.ToArray(),
                options.InitialTimeToLive is { } ttl ? now + ttl : null,
                options.SlidingExpiration,
                options.TimeToLive is { } limit ? now + limit : null);
            Record(StoreCallKind.Set, key, succeeded: true);
        }

        return default;
    }

    public ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            Record(StoreCallKind.Remove, key, _entries.Remove(key));
        }

        return default;
    }

    public ValueTask RefreshAsync(string key, TimeSpan? slidingExpiration, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            // Renewed by the window the call names (as the native Redis store's PEXPIRE), else the entry's own.
            var found = TryGetEntry(key, out var entry);
            if (found && (slidingExpiration ?? entry.Sliding) is { } sliding)
            {
                var renewed = _time.GetUtcNow() + sliding;
                _entries[key] = entry with { ExpiresAt = entry.End is { } end && end < renewed ? end : renewed };
            }

            Record(StoreCallKind.Refresh, key, found);
        }

        return default;
    }

    public ValueTask<string?> TryAcquireAsync(string key, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _lockAttempts);
        BeforeAcquire?.Invoke(key);
        if (Fault<string?>(AcquireFault, "acquire", key) is { } failed)
        {
            return new ValueTask<string?>(failed);
        }

        lock (_gate)
        {
            var token = TakeLock(key);
            Record(StoreCallKind.LockAcquire, key, token is not null);
            return new ValueTask<string?>(token);
        }
    }

    public ValueTask ReleaseAsync(string key, string token, CancellationToken cancellationToken = default)
    {
        if (Fault<bool>(ReleaseFault, "release", key) is { } failed)
        {
            return new ValueTask(failed);
        }

        lock (_gate)
        {
            // Compare-and-delete, as the Redis script does: a lock that expired and was taken by another stays theirs.
            var held = TryGetLock(key, out var current) && current == token;
            if (held)
            {
                _locks.Remove(key);
            }

            Record(StoreCallKind.LockRelease, key, held);
        }

        return default;
    }

    private static Task<TResult>? Fault<TResult>(StoreFault fault, string operation, string key) => fault switch
    {
        StoreFault.None => null,
        StoreFault.Faulted => Task.FromException<TResult>(new ChaosException($"Chaos: lock {operation} of {key} failed.")),
        StoreFault.Hang => new TaskCompletionSource<TResult>().Task,
        _ => throw new ChaosException($"Chaos: lock {operation} of {key} failed."),
    };

    private bool TryGetEntry(string key, out StoredEntry entry)
    {
        if (_entries.TryGetValue(key, out entry!) && (entry.ExpiresAt is not { } at || at > _time.GetUtcNow()))
        {
            return true;
        }

        _entries.Remove(key);
        return false;
    }

    private bool TryGetLock(string key, out string token)
    {
        if (_locks.TryGetValue(key, out var held) && held.ExpiresAt > _time.GetUtcNow())
        {
            token = held.Token;
            return true;
        }

        _locks.Remove(key);
        token = "";
        return false;
    }

    private string? TakeLock(string key)
    {
        if (TryGetLock(key, out _))
        {
            return null;
        }

        var token = "token-" + Interlocked.Increment(ref _tokens);
        _locks[key] = (token, _time.GetUtcNow() + Lease);
        return token;
    }

    private void Record(StoreCallKind kind, string key, bool succeeded)
    {
        _calls.Add(new StoreCall(kind, key, succeeded));
        for (var i = _watchers.Count - 1; i >= 0; i--)
        {
            if (_watchers[i].Condition(_calls))
            {
                _watchers[i].Done.TrySetResult();
                _watchers.RemoveAt(i);
            }
        }
    }

    /// <param name="ExpiresAt">When the entry goes, if nobody renews it.</param>
    /// <param name="End">The latest a sliding renewal may extend it to.</param>
    private sealed record StoredEntry(byte[] Value, DateTimeOffset? ExpiresAt, TimeSpan? Sliding, DateTimeOffset? End);
}
