using System.Buffers;
using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Distributed;

namespace CacheSerial.TestSupport.Fakes;

/// <summary>How a <see cref="ChaosDistributedCache"/> operation fails.</summary>
public enum StoreFault
{
    /// <summary>Forward to the inner store.</summary>
    None = 0,

    /// <summary>Throw <see cref="ChaosException"/> synchronously from the call itself (before any task exists).</summary>
    Throw,

    /// <summary>Return a task already faulted with <see cref="ChaosException"/>.</summary>
    Faulted,

    /// <summary>Fault with <see cref="ChaosException"/> after yielding, as a network error would.</summary>
    FaultedLater,

    /// <summary>Never answer until the caller's token is cancelled (a hung server).</summary>
    Hang,

    /// <summary>Throw an <see cref="OperationCanceledException"/> not caused by the caller's token (a client-side timeout).</summary>
    TimedOut,

    /// <summary>Wait until <see cref="ChaosDistributedCache.OpenGate"/> (a slow server the test controls), then forward.</summary>
    Gated,
}

/// <summary>The exception a <see cref="ChaosDistributedCache"/> injects.</summary>
public sealed class ChaosException : Exception
{
    public ChaosException()
        : this("Chaos: injected store failure.")
    {
    }

    public ChaosException(string message)
        : base(message)
    {
    }

    public ChaosException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}

/// <summary>
/// A decorator over any <see cref="IDistributedCache"/> that injects failures per operation kind and counts calls.
/// Use <see cref="Wrap"/>: over a store that implements <see cref="IBufferDistributedCache"/> (such as RedisCache) it
/// returns a decorator that implements it too, so the cache keeps taking the same code path.
/// </summary>
public class ChaosDistributedCache : IDistributedCache
{
    private int _reads;
    private int _writes;
    private int _removes;
    private int _refreshes;
    private readonly ConcurrentDictionary<string, bool> _wrongType = new();
    private TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected ChaosDistributedCache(IDistributedCache inner)
    {
        Inner = inner ?? throw new ArgumentNullException(nameof(inner));
    }

    public IDistributedCache Inner { get; }

    public StoreFault ReadFault { get; set; }

    public StoreFault WriteFault { get; set; }

    public StoreFault RemoveFault { get; set; }

    public StoreFault RefreshFault { get; set; }

    /// <summary>Sets every operation's fault at once.</summary>
    public StoreFault AllFaults
    {
        set
        {
            ReadFault = value;
            WriteFault = value;
            RemoveFault = value;
            RefreshFault = value;
        }
    }

    public int Reads => Volatile.Read(ref _reads);

    public int Writes => Volatile.Read(ref _writes);

    public int Removes => Volatile.Read(ref _removes);

    public int Refreshes => Volatile.Read(ref _refreshes);

    /// <summary>Every write that reached the inner store, in order: the key and the options the cache passed.</summary>
    public ConcurrentQueue<(string Key, DistributedCacheEntryOptions Options)> WriteLog { get; } = new();

    /// <summary>Releases every call waiting under <see cref="StoreFault.Gated"/>; later gated calls wait for the next opening.</summary>
    public void OpenGate() => Interlocked.Exchange(ref _gate, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>
    /// Makes <paramref name="storeKey"/> behave as a Redis key holding another kind of value: reads and writes fail with a
    /// WRONGTYPE error until the key is removed.
    /// </summary>
    public void HoldWrongType(string storeKey) => _wrongType[storeKey] = true;

    /// <summary>Wraps <paramref name="inner"/>, keeping its <see cref="IBufferDistributedCache"/> capability.</summary>
    public static ChaosDistributedCache Wrap(IDistributedCache inner) =>
        inner is IBufferDistributedCache buffered ? new ChaosBufferDistributedCache(buffered) : new ChaosDistributedCache(inner);

    public byte[]? Get(string key)
    {
        CountRead(key);
        ThrowIfFaultedSync(ReadFault, $"read {key}");
        return Inner.Get(key);
    }

    public Task<byte[]?> GetAsync(string key, CancellationToken token = default)
    {
        CountRead(key);
        return WrongType<byte[]?>(key, removes: false) ?? Apply(ReadFaultFor(key), $"read {key}", () => Inner.GetAsync(key, token), token);
    }

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options)
    {
        Interlocked.Increment(ref _writes);
        ThrowIfFaultedSync(WriteFault, $"write {key}");
        Inner.Set(key, value, options);
        WriteLog.Enqueue((key, options));
    }

    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        Interlocked.Increment(ref _writes);
        return WrongType<bool>(key, removes: false) ?? Apply(WriteFault, $"write {key}", async () =>
        {
            await Inner.SetAsync(key, value, options, token).ConfigureAwait(false);
            WriteLog.Enqueue((key, options));
            return true;
        }, token);
    }

    public void Refresh(string key)
    {
        Interlocked.Increment(ref _refreshes);
        ThrowIfFaultedSync(RefreshFault, $"refresh {key}");
        Inner.Refresh(key);
    }

    public Task RefreshAsync(string key, CancellationToken token = default)
    {
        Interlocked.Increment(ref _refreshes);
        return Apply(RefreshFault, $"refresh {key}", async () =>
        {
            await Inner.RefreshAsync(key, token).ConfigureAwait(false);
            return true;
        }, token);
    }

    public void Remove(string key)
    {
        Interlocked.Increment(ref _removes);
        ThrowIfFaultedSync(RemoveFault, $"remove {key}");
        Inner.Remove(key);
    }

    public Task RemoveAsync(string key, CancellationToken token = default)
    {
        Interlocked.Increment(ref _removes);
        return WrongType<bool>(key, removes: true) ?? Apply(RemoveFault, $"remove {key}", async () =>
        {
            await Inner.RemoveAsync(key, token).ConfigureAwait(false);
            return true;
        }, token);
    }

    protected static void ThrowIfFaultedSync(StoreFault fault, string operation)
    {
        switch (fault)
        {
            case StoreFault.None:
                return;
            case StoreFault.TimedOut:
                throw new OperationCanceledException($"Chaos: store {operation} timed out.");
            case StoreFault.Hang:
                throw new InvalidOperationException("Hang is only meaningful for asynchronous calls.");
            default:
                throw new ChaosException($"Chaos: store {operation} failed.");
        }
    }

    /// <summary>Counts an entry read (tag-marker reads are not entries).</summary>
    protected void CountRead(string key)
    {
        if (!TagMarkerKeys.IsMarker(key))
        {
            Interlocked.Increment(ref _reads);
        }
    }

    protected void CountWrite() => Interlocked.Increment(ref _writes);

    /// <summary>The read fault for <paramref name="key"/>: a gate holds entry reads only, so a test that orders entry reads
    /// is not stalled by the tag-marker reads that run beside them (every other fault hits markers too).</summary>
    protected StoreFault ReadFaultFor(string key) =>
        ReadFault == StoreFault.Gated && TagMarkerKeys.IsMarker(key) ? StoreFault.None : ReadFault;

    protected Task<T> Apply<T>(StoreFault fault, string operation, Func<Task<T>> forward, CancellationToken token) =>
        fault switch
        {
            StoreFault.None => forward(),
            StoreFault.Gated => GatedAsync(Volatile.Read(ref _gate).Task, forward, token),
            StoreFault.Throw => throw new ChaosException($"Chaos: store {operation} failed."),
            StoreFault.Faulted => Task.FromException<T>(new ChaosException($"Chaos: store {operation} failed.")),
            StoreFault.FaultedLater => FaultLaterAsync<T>(operation),
            StoreFault.Hang => HangAsync<T>(token),
            StoreFault.TimedOut => Task.FromException<T>(new OperationCanceledException($"Chaos: store {operation} timed out.")),
            _ => throw new ArgumentOutOfRangeException(nameof(fault), fault, null),
        };

    /// <summary>A call on a key held by <see cref="HoldWrongType"/>: the error Redis gives, or null to go ahead.</summary>
    protected Task<T>? WrongType<T>(string key, bool removes)
    {
        if (_wrongType.IsEmpty || !_wrongType.ContainsKey(key))
        {
            return null;
        }

        if (removes)
        {
            _wrongType.TryRemove(key, out _);
            return null;
        }

        return Task.FromException<T>(new ChaosException("WRONGTYPE Operation against a key holding the wrong kind of value"));
    }

    private static async Task<T> GatedAsync<T>(Task gate, Func<Task<T>> forward, CancellationToken token)
    {
        await gate.WaitAsync(token).ConfigureAwait(false);
        return await forward().ConfigureAwait(false);
    }

    private static async Task<T> FaultLaterAsync<T>(string operation)
    {
        await Task.Yield();
        throw new ChaosException($"Chaos: store {operation} failed.");
    }

    private static async Task<T> HangAsync<T>(CancellationToken token)
    {
        await Task.Delay(Timeout.Infinite, token).ConfigureAwait(false);
        throw new InvalidOperationException("unreachable");
    }
}

/// <summary>The <see cref="IBufferDistributedCache"/> flavour of <see cref="ChaosDistributedCache"/>.</summary>
public sealed class ChaosBufferDistributedCache : ChaosDistributedCache, IBufferDistributedCache
{
    private readonly IBufferDistributedCache _buffered;

    internal ChaosBufferDistributedCache(IBufferDistributedCache inner)
        : base(inner)
    {
        _buffered = inner;
    }

    public bool TryGet(string key, IBufferWriter<byte> destination)
    {
        CountRead(key);
        ThrowIfFaultedSync(ReadFault, $"read {key}");
        return _buffered.TryGet(key, destination);
    }

    public ValueTask<bool> TryGetAsync(string key, IBufferWriter<byte> destination, CancellationToken token = default)
    {
        CountRead(key);
        return new ValueTask<bool>(WrongType<bool>(key, removes: false)
            ?? Apply(ReadFaultFor(key), $"read {key}", () => _buffered.TryGetAsync(key, destination, token).AsTask(), token));
    }

    public void Set(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options)
    {
        CountWrite();
        ThrowIfFaultedSync(WriteFault, $"write {key}");
        _buffered.Set(key, value, options);
        WriteLog.Enqueue((key, options));
    }

    public ValueTask SetAsync(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options, CancellationToken token = default)
    {
        CountWrite();
        return new ValueTask(WrongType<bool>(key, removes: false) ?? Apply(WriteFault, $"write {key}", async () =>
        {
            await _buffered.SetAsync(key, value, options, token).ConfigureAwait(false);
            WriteLog.Enqueue((key, options));
            return true;
        }, token));
    }
}

/// <summary>
/// Exposes any <see cref="IDistributedCache"/> as an <see cref="IBufferDistributedCache"/> (copying through arrays), so
/// unit tests also exercise the cache's buffer path, which RedisCache takes.
/// </summary>
public sealed class BufferDistributedCacheAdapter(IDistributedCache inner) : IBufferDistributedCache
{
    public byte[]? Get(string key) => inner.Get(key);

    public Task<byte[]?> GetAsync(string key, CancellationToken token = default) => inner.GetAsync(key, token);

    public void Set(string key, byte[] value, DistributedCacheEntryOptions options) => inner.Set(key, value, options);

    public Task SetAsync(string key, byte[] value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        inner.SetAsync(key, value, options, token);

    public void Refresh(string key) => inner.Refresh(key);

    public Task RefreshAsync(string key, CancellationToken token = default) => inner.RefreshAsync(key, token);

    public void Remove(string key) => inner.Remove(key);

    public Task RemoveAsync(string key, CancellationToken token = default) => inner.RemoveAsync(key, token);

    public bool TryGet(string key, IBufferWriter<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var bytes = inner.Get(key);
        if (bytes is null)
        {
            return false;
        }

        destination.Write(bytes);
        return true;
    }

    public async ValueTask<bool> TryGetAsync(string key, IBufferWriter<byte> destination, CancellationToken token = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var bytes = await inner.GetAsync(key, token).ConfigureAwait(false);
        if (bytes is null)
        {
            return false;
        }

        destination.Write(bytes);
        return true;
    }

    public void Set(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options) =>
        inner.Set(key, value.ToArray(), options);

    public ValueTask SetAsync(string key, ReadOnlySequence<byte> value, DistributedCacheEntryOptions options, CancellationToken token = default) =>
        new(inner.SetAsync(key, value.ToArray(), options, token));
}
