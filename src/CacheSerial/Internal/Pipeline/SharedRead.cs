using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace CacheSerial.Internal;

/// <summary>
/// One store read that concurrent readers of the same key wait on, pooled, so an uncontended read allocates nothing for
/// it. The reader that started the store call (the leader) waits through this object as a value task source; readers
/// that join take a reference and wait on a completion source created only when the first of them arrives. The bytes
/// sit in the store's lease, counted: the store call, the leader and each joiner hold one reference, and the lease and
/// this object go back to their pools when the last is released. Each reader decodes the bytes itself.
/// </summary>
/// <remarks>All state changes happen under <see cref="_lock"/>: a joiner that found a recycled object sees it is
/// not the read it looked for (another key, generation or an ended read) and starts its own.</remarks>
internal sealed class SharedRead : IValueTaskSource<bool>, IThreadPoolWorkItem
{
    private readonly Lock _lock = new();
    private readonly Action _onStoreEnded;
    // The leader resumes where the store call ended, as a direct wait on the store would (no extra thread-pool hop).
    private ManualResetValueTaskSourceCore<bool> _leader;
    private CancellationToken _canceledBy;
    private ConfiguredValueTaskAwaitable<CacheStoreLease>.ConfiguredValueTaskAwaiter _call;
    private CancellationTokenRegistration _cancellation;
    private TaskCompletionSource<bool>? _joiners;
    private SharedRead?[]? _slots;
    private int _slot;
    private string? _storeKey;
    private TimeSpan? _slidingExpiration;
    private long _generation;
    private CacheStoreLease _lease;
    private int _references;
    private int _leaderDecided;
    private bool _pending;

    private SharedRead() => _onStoreEnded = OnStoreEnded;

    public ReadOnlyMemory<byte> Data => _lease.Data;

    /// <summary>Slots a read of one key may take, from its hash: reads of one key with different sliding expirations
    /// (or a few colliding keys) can each be offered at once.</summary>
    public const int Probes = 4;

    /// <summary>Offers a pending store read in the first free of the <see cref="Probes"/> slots from
    /// <paramref name="slot"/>; null when all are taken (the read is then not shared).</summary>
    public static SharedRead? TryStart(SharedRead?[] slots, int slot, string storeKey, TimeSpan? slidingExpiration, long generation)
    {
        var free = -1;
        for (var i = 0; i < Probes && free < 0; i++)
        {
            var index = (slot + i) & (slots.Length - 1);
            if (Volatile.Read(ref slots[index]) is null)
            {
                free = index;
            }
        }

        if (free < 0)
        {
            return null;
        }

        var shared = ReusePool<SharedRead>.TryRent() ?? new SharedRead();
        lock (shared._lock)
        {
            shared._slots = slots;
            shared._slot = free;
            shared._storeKey = storeKey;
            shared._slidingExpiration = slidingExpiration;
            shared._generation = generation;
            shared._references = 2; // the store call's and the leader's
            shared._leaderDecided = 0;
        }

        if (Interlocked.CompareExchange(ref slots[free], shared, null) is not null)
        {
            lock (shared._lock)
            {
                shared._slots = null;
                shared._storeKey = null;
            }

            ReusePool<SharedRead>.Return(shared);
            return null;
        }

        // Joinable only once published: a reader still holding this object from an earlier use cannot join a read
        // that then fails to take its slot (and would never end).
        lock (shared._lock)
        {
            shared._pending = true;
        }

        return shared;
    }

    /// <summary>Joins a pending read of the key at the generation in the <see cref="Probes"/> slots from
    /// <paramref name="slot"/>; null when there is none.</summary>
    public static Task<bool>? TryJoin(SharedRead?[] slots, int slot, string storeKey, TimeSpan? slidingExpiration, long generation, out SharedRead? joined)
    {
        for (var i = 0; i < Probes; i++)
        {
            var candidate = Volatile.Read(ref slots[(slot + i) & (slots.Length - 1)]);
            if (candidate is null)
            {
                continue;
            }

            lock (candidate._lock)
            {
                // The same table too: a pooled object found here may since serve another cache (another store) with this key.
                if (candidate._pending && candidate._slots == slots && candidate._generation == generation
                    && candidate._slidingExpiration == slidingExpiration
                    && string.Equals(candidate._storeKey, storeKey, StringComparison.Ordinal))
                {
                    candidate._references++;
                    candidate._joiners ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
                    joined = candidate;
                    return candidate._joiners.Task;
                }
            }
        }

        joined = null;
        return null;
    }

    /// <summary>Watches the store read (made without any caller's token; the deadline bounds it); returns the leader's wait.</summary>
    public ValueTask<bool> Run(ValueTask<CacheStoreLease> read, CancellationToken cancellationToken)
    {
        var version = _leader.Version;
        if (cancellationToken.CanBeCanceled)
        {
            // The leader's cancellation ends only its own wait; the store call goes on for the joiners.
            _cancellation = cancellationToken.UnsafeRegister(static (state, token) => ((SharedRead)state!).OnLeaderCanceled(token), this);
        }

        _call = read.ConfigureAwait(false).GetAwaiter();
        if (_call.IsCompleted)
        {
            OnStoreEnded();
        }
        else
        {
            _call.UnsafeOnCompleted(_onStoreEnded);
        }

        return new ValueTask<bool>(this, version);
    }

    private void OnLeaderCanceled(CancellationToken token)
    {
        if (Interlocked.Exchange(ref _leaderDecided, 1) == 0)
        {
            // On the thread pool: never run the leader's continuation on the canceller's thread.
            _canceledBy = token;
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    void IThreadPoolWorkItem.Execute() => _leader.SetException(new OperationCanceledException(_canceledBy));

    private void OnStoreEnded()
    {
        // The tier never throws for a read made without a token: failures are logged there and read as a miss.
        var lease = _call.GetResult();
        _call = default;
        var found = lease.HasValue;
        TaskCompletionSource<bool>? joiners;
        lock (_lock)
        {
            _lease = lease;
            _pending = false;

            // Before anyone is released: a reader arriving after the store answered starts a fresh read.
            Interlocked.CompareExchange(ref _slots![_slot], null, this);
            joiners = _joiners;
            _joiners = null;
        }

        // Waits for a cancellation callback running now, so it cannot reach this object once reused.
        _cancellation.Dispose();
        _cancellation = default;
        var completeLeader = Interlocked.Exchange(ref _leaderDecided, 1) == 0;
        joiners?.SetResult(found);
        Release();

        // Last, as it runs the leader's continuation here; the leader's own reference keeps this object meanwhile.
        if (completeLeader)
        {
            _leader.SetResult(found);
        }
    }

    /// <summary>Releases one reference; the last returns the buffer and this object to their pools.</summary>
    public void Release()
    {
        CacheStoreLease lease;
        lock (_lock)
        {
            if (--_references != 0)
            {
                return;
            }

            lease = _lease;
            _lease = default;
            _slots = null;
            _storeKey = null;
            _canceledBy = default;
            _leader.Reset();
        }

        lease.Dispose();
        ReusePool<SharedRead>.Return(this);
    }

    /// <summary>After a wait: the bytes with the reader's reference, or none (the reference released).</summary>
    public StoredBytes Take(bool found)
    {
        if (!found)
        {
            Release();
            return StoredBytes.None;
        }

        return new StoredBytes(this);
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _leader.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _leader.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _leader.OnCompleted(continuation, state, token, flags);
}
