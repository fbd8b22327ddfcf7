using System.Runtime.CompilerServices;

namespace CacheSerial.Internal;

internal sealed partial class CachePipeline
{
    // Store reads waiting on the store, for readers of the same key to join, one slot per key hash (a power of two):
    // a fixed array, so offering a read costs no allocation.
    private readonly SharedRead?[] _sharedReads = new SharedRead?[64];

    // Bumped per key when a write or remove of this process ends: a read joins only a shared read of its key started at
    // the current value, so it never gets bytes read before this process's own write of that key completed.
    private readonly KeyGenerations _written = new();

    /// <summary>A lookup: memory first, then the store; store failures and rejected entries are misses. The key is the
    /// caller's: a memory hit never builds the stored key, and a key memory does not answer is checked first (KeyOf).</summary>
    public ValueTask<CacheResult<T>> GetAsync<T>(string key, CodecInfo codec, EntryPolicy policy, ObservedOperation? observed, CancellationToken cancellationToken)
    {
        if (policy.SkipRead)
        {
            if (observed is not null)
            {
                observed.Outcome = "miss";
            }

            return default;
        }

        if (ReadLocal<T>(key, codec, policy, observed, out var local) == MemoryLookup.Hit)
        {
            return new ValueTask<CacheResult<T>>(local.ToResult());
        }

        var read = ReadAsync<T>(KeyOf(key), codec, policy, observed, cancellationToken);
        return read.IsCompletedSuccessfully ? new ValueTask<CacheResult<T>>(read.Result.ToResult()) : AwaitResultAsync(read);

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        static async ValueTask<CacheResult<T>> AwaitResultAsync(ValueTask<EntryRead<T>> pending) =>
            (await pending.ConfigureAwait(false)).ToResult();
    }

    /// <summary>A bulk lookup of distinct keys, in key order: memory first, then one store call for the rest.</summary>
    public async ValueTask<EntryRead<T>[]> GetManyAsync<T>(CacheKey[] keys, CodecInfo codec, EntryPolicy policy, CancellationToken cancellationToken) =>
        policy.SkipRead || keys.Length == 0
            ? new EntryRead<T>[keys.Length]
            : await ReadManyAsync<T>(keys, codec, policy, cancellationToken).ConfigureAwait(false);

    /// <summary>Reads and decodes one key from the store (memory keeps a fresh answer); completes synchronously when the store does.</summary>
    /// <remarks>Concurrent reads of one key share one store call unless <paramref name="share"/> is false (see StoreReadAsync).
    /// The read frames use pooled builders (each ValueTask is awaited once), so a hit allocates no state machine.</remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<EntryRead<T>> ReadAsync<T>(
        CacheKey key, CodecInfo codec, EntryPolicy policy, ObservedOperation? observed, CancellationToken cancellationToken, bool share = true)
    {
        var generation = LocalGeneration(key);
        using var bytes = await StoreReadAsync(key, policy.SlidingExpiration, share, cancellationToken).ConfigureAwait(false);
        EntryRead<T> read;
        if (bytes.Found)
        {
            read = DecodeAndKeep<T>(key, generation, codec, policy, bytes.Data, observed, mayFetchTags: true);
            if (read.TagsDue)
            {
                await _markers.FetchAsync([read.Entry.Tags], cancellationToken).ConfigureAwait(false);
                read = DecodeAndKeep<T>(key, generation, codec, policy, bytes.Data, observed, mayFetchTags: false);
            }
        }
        else
        {
            read = default;
            _entries.CountMiss(codec);
        }

        if (observed is not null)
        {
            observed.Outcome = ObservedOperation.OutcomeOf(read.State, read.IsNegative);
        }

        return read;
    }

    /// <summary>
    /// Reads and decodes distinct keys: memory first, then one store call for the keys memory did not answer; a failed
    /// call, an open breaker or a timeout makes those keys misses (or, under fail-safe, memory's fallback).
    /// </summary>
    private async ValueTask<EntryRead<T>[]> ReadManyAsync<T>(CacheKey[] keys, CodecInfo codec, EntryPolicy policy, CancellationToken cancellationToken)
    {
        var reads = new EntryRead<T>[keys.Length];
        var fallbacks = _memory is null ? null : new EntryRead<T>[keys.Length];
        List<int>? fromStore = null;
        for (var i = 0; i < keys.Length; i++)
        {
            var lookup = ReadLocal(keys[i].Key, codec, policy, null, out reads[i]);
            if (lookup != MemoryLookup.Hit)
            {
                fallbacks?[i] = reads[i];
                reads[i] = default;
                (fromStore ??= new List<int>(keys.Length)).Add(i);
            }
        }

        if (fromStore is null)
        {
            return reads;
        }

        var storeKeys = fromStore.Count == keys.Length ? keys : [.. fromStore.Select(i => keys[i])];
        var generations = new long[storeKeys.Length];
        for (var j = 0; j < storeKeys.Length; j++)
        {
            generations[j] = LocalGeneration(storeKeys[j]);
        }

        var leases = await _tier.ReadManyAsync(storeKeys, policy.SlidingExpiration, cancellationToken).ConfigureAwait(false);
        try
        {
            // Entries whose tag markers must be read first: one store call for all their tags, then judged again.
            List<int>? due = null;
            for (var j = 0; j < storeKeys.Length; j++)
            {
                var i = fromStore[j];
                if (leases?[j] is { HasValue: true } lease)
                {
                    reads[i] = DecodeAndKeep<T>(keys[i], generations[j], codec, policy, lease.Data, null, mayFetchTags: true);
                    if (reads[i].TagsDue)
                    {
                        (due ??= []).Add(j);
                    }
                }
                else
                {
                    _entries.CountMiss(codec);
                }
            }

            if (due is not null)
            {
                await _markers.FetchAsync([.. due.Select(j => reads[fromStore[j]].Entry.Tags)], cancellationToken).ConfigureAwait(false);
                foreach (var j in due)
                {
                    var i = fromStore[j];
                    reads[i] = DecodeAndKeep<T>(keys[i], generations[j], codec, policy, leases![j].Data, null, mayFetchTags: false);
                }
            }
        }
        finally
        {
            foreach (var lease in leases ?? [])
            {
                lease.Dispose();
            }
        }

        if (fallbacks is not null)
        {
            foreach (var i in fromStore)
            {
                reads[i] = OrFallback(reads[i], fallbacks[i]);
            }
        }

        return reads;
    }

    /// <summary>
    /// A read while waiting for another process's value (the distributed lock): decoded like any read, not shared (it must
    /// see what was written after it started waiting) and not counted as a lookup (the caller's own read was), so the hit
    /// and miss counters do not grow with the length of another process's factory run.
    /// </summary>
    private async ValueTask<EntryRead<T>> PollAsync<T>(CacheKey key, CodecInfo codec, EntryPolicy policy, CancellationToken cancellationToken)
    {
        var generation = LocalGeneration(key);
        using var lease = await _tier.ReadAsync(key, policy.SlidingExpiration, cancellationToken).ConfigureAwait(false);
        if (!lease.HasValue)
        {
            return default;
        }

        var read = DecodeAndKeep<T>(key, generation, codec, policy, lease.Data, null, mayFetchTags: true, countLookup: false);
        if (read.TagsDue)
        {
            await _markers.FetchAsync([read.Entry.Tags], cancellationToken).ConfigureAwait(false);
            read = DecodeAndKeep<T>(key, generation, codec, policy, lease.Data, null, mayFetchTags: false, countLookup: false);
        }

        return read;
    }

    /// <summary>Decodes stored bytes (<see cref="EntryCodec.Decode{T}"/>) and keeps a fresh answer in memory.</summary>
    private EntryRead<T> DecodeAndKeep<T>(
        CacheKey key, long generation, CodecInfo codec, EntryPolicy policy, ReadOnlyMemory<byte> data, ObservedOperation? observed, bool mayFetchTags, bool countLookup = true)
    {
        var read = _entries.Decode<T>(key, codec, policy, data, observed, mayFetchTags, out var payload, countLookup);
        using (payload)
        {
            KeepRead(key, generation, read, payload.Bytes.Span, codec, policy);
        }

        return read;
    }

    /// <summary>An entry's bytes, or none for a miss, an open breaker, a failure or a timeout.</summary>
    /// <remarks>
    /// With <paramref name="share"/>, a read joins one of the same key already waiting on the store at the key's current
    /// write generation, and one waiting on the store is offered to later readers (<see cref="SharedRead"/>, in a fixed slot
    /// per key hash: a slot taken by another read means no sharing): it then runs without the caller's token (the deadline
    /// bounds it), so one caller's cancellation ends only its own wait. An uncontended read allocates nothing for this.
    /// </remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<StoredBytes> StoreReadAsync(CacheKey key, TimeSpan? slidingExpiration, bool share, CancellationToken cancellationToken)
    {
        if (!share)
        {
            return new StoredBytes(await _tier.ReadAsync(key, slidingExpiration, cancellationToken).ConfigureAwait(false));
        }

        var hash = key.Hash;
        var generation = _written.ReadStripe(KeyGenerations.StripeOf(hash));
        var slot = hash & (_sharedReads.Length - 1);
        var done = SharedRead.TryJoin(_sharedReads, slot, key.StoreKey, slidingExpiration, generation, out var joined);
        if (done is not null)
        {
            bool joinedFound;
            try
            {
                joinedFound = await done.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                joined!.Release();
                throw;
            }

            return joined!.Take(joinedFound);
        }

        // Made without the caller's token, so that readers joining it are not cancelled with the one that started it.
        var read = _tier.ReadAsync(key, slidingExpiration, CancellationToken.None);
        if (read.IsCompletedSuccessfully)
        {
            return new StoredBytes(read.Result);
        }

        var shared = SharedRead.TryStart(_sharedReads, slot, key.StoreKey, slidingExpiration, generation);
        if (shared is null)
        {
            // Every slot of this hash is taken: not shared, but the caller's cancellation still ends its wait.
            return new StoredBytes(await WaitUnsharedAsync(read, cancellationToken).ConfigureAwait(false));
        }

        var leaderWait = shared.Run(read, cancellationToken);
        bool found;
        try
        {
            found = await leaderWait.ConfigureAwait(false);
        }
        catch
        {
            shared.Release();
            throw;
        }

        return shared.Take(found);
    }

    private static async ValueTask<CacheStoreLease> WaitUnsharedAsync(ValueTask<CacheStoreLease> read, CancellationToken cancellationToken)
    {
        if (!cancellationToken.CanBeCanceled)
        {
            return await read.ConfigureAwait(false);
        }

        var task = read.AsTask();
        try
        {
            return await task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The read goes on without this caller: its lease goes back to its owner when it arrives.
            _ = task.ContinueWith(
                static t =>
                {
                    if (t.IsCompletedSuccessfully)
                    {
                        t.Result.Dispose();
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
            throw;
        }
    }
}
