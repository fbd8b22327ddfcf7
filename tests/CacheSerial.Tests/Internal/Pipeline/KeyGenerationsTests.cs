using System.Buffers;
using CacheSerial.Internal;
using CacheSerial.TestSupport;
using CacheSerial.TestSupport.Fakes;
using Microsoft.Extensions.Time.Testing;

namespace CacheSerial.Tests.Internal.Pipeline;

/// <summary>
/// What the per-key generations answer: whether a write of the same key landed between a caller's read and its factory
/// run (re-read once) or between a read and a reader that would join it (not joined); writes of other keys change
/// neither, so a cold miss under write traffic on other keys costs one store read.
/// </summary>
public sealed class KeyGenerationsTests : IDisposable
{
    private static readonly CacheEntryOptions Options = new() { Expiration = TimeSpan.FromHours(1) };

    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly GatedStore _store;
    private readonly CacheNode _node;

    public KeyGenerationsTests()
    {
        _store = new GatedStore(new InMemoryCacheStore(_time, TimeSpan.FromDays(1), TimeSpan.FromDays(1), withLock: false));
        _node = new CacheNode(_store, _time, CacheHarness.NewPrefix());
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetOrCreateAsync_OtherKeyStoredBetweenReadAndRun_ReadsTheStoreOnce()
    {
        var other = KeyInAnotherStripe("cold");
        _store.Gate(_node.StoreKey("cold"));
        var cold = _node.Cache.GetOrCreateAsync("cold", _ => new ValueTask<string>("made"), Options, Ct).AsTask();
        await _store.WhenWaitingAsync();

        // A run of another key stores its value while the cold key's read is on its way.
        await _node.Cache.GetOrCreateAsync(other, _ => new ValueTask<string>("other"), Options, Ct);
        _store.Open();

        Assert.Equal("made", await cold);
        Assert.Equal(1, _store.ReadsOf(_node.StoreKey("cold")));
    }

    [Fact]
    public async Task GetOrCreateAsync_SameKeyStoredBetweenReadAndRun_ReReadsAndRunsNoFactory()
    {
        _store.Gate(_node.StoreKey("k"));
        var factoryRuns = 0;
        var late = _node.Cache.GetOrCreateAsync("k", _ =>
        {
            Interlocked.Increment(ref factoryRuns);
            return new ValueTask<string>("late");
        }, Options, Ct).AsTask();
        await _store.WhenWaitingAsync();

        // Another caller's run of the same key stores its value (it skips the read, so it does not join the gated one).
        var skipRead = Options with { Flags = CacheEntryFlags.SkipRead };
        await _node.Cache.GetOrCreateAsync("k", _ => new ValueTask<string>("first"), skipRead, Ct);
        _store.Open();

        Assert.Equal("first", await late); // the gated caller's miss was read before that write: it re-read
        Assert.Equal(0, factoryRuns);
        Assert.Equal(2, _store.ReadsOf(_node.StoreKey("k"))); // the gated read and the re-read
    }

    public void Dispose() => _node.Dispose();

    /// <summary>A key whose stripe differs from <paramref name="key"/>'s (hashes are randomized per process).</summary>
    private string KeyInAnotherStripe(string key)
    {
        var stripe = KeyGenerations.StripeOf(_node.StoreKey(key).GetHashCode());
        return Enumerable.Range(0, 1000).Select(i => "other-" + i)
            .First(k => KeyGenerations.StripeOf(_node.StoreKey(k).GetHashCode()) != stripe);
    }

    /// <summary>A store whose first read of one key waits for <see cref="Open"/>; counts reads per key.</summary>
    private sealed class GatedStore(InMemoryCacheStore inner) : ICacheStore
    {
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _waiting = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Dictionary<string, int> _reads = [];
        private string? _gated;

        public void Gate(string storeKey) => _gated = storeKey;

        public void Open() => _gate.TrySetResult();

        public Task WhenWaitingAsync() => _waiting.Task.WaitAsync(Ct);

        public int ReadsOf(string storeKey)
        {
            lock (_reads)
            {
                return _reads.GetValueOrDefault(storeKey);
            }
        }

        public async ValueTask<CacheStoreLease> GetAsync(string key, TimeSpan? slidingExpiration, CancellationToken cancellationToken = default)
        {
            bool first;
            lock (_reads)
            {
                first = !_reads.ContainsKey(key);
                _reads[key] = _reads.GetValueOrDefault(key) + 1;
            }

            if (first && key == _gated)
            {
                var lease = await inner.GetAsync(key, slidingExpiration, cancellationToken); // read now, answered later
                _waiting.TrySetResult();
                await _gate.Task;
                return lease;
            }

            return await inner.GetAsync(key, slidingExpiration, cancellationToken);
        }

        public ValueTask SetAsync(string key, ReadOnlySequence<byte> value, CacheStoreEntryOptions options, CancellationToken cancellationToken = default) =>
            inner.SetAsync(key, value, options, cancellationToken);

        public ValueTask RemoveAsync(string key, CancellationToken cancellationToken = default) => inner.RemoveAsync(key, cancellationToken);

        public ValueTask RefreshAsync(string key, TimeSpan? slidingExpiration, CancellationToken cancellationToken = default) =>
            inner.RefreshAsync(key, slidingExpiration, cancellationToken);
    }
}
