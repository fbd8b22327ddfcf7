using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace CacheSerial.Internal;

/// <summary>
/// The backplane: this process's changes go out batched (one message per burst, up to <see cref="MaximumKeysPerMessage"/>
/// keys) from one publisher loop, numbered per sender; a receiver that sees a number skipped (a lost message, a failed
/// publish, a breaker that dropped some) flushes its memory. Every <see cref="PingInterval"/> each process publishes a
/// ping with its last number (so a lost last message is noticed within a ping) and expects its own ping back (so a
/// subscription that silently stopped is noticed within <see cref="PingTimeout"/>).
/// </summary>
internal sealed partial class InvalidationHub : ICacheBackplaneListener
{
    public const int MaximumKeysPerMessage = 256;
    public const int MaximumMessageBytes = 64 * 1024;

    /// <summary>Changes waiting to be published at most; past it, one "everything changed" message replaces them.</summary>
    public const int MaximumQueuedKeys = 100_000;

    public static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(3);

    /// <summary>How long publishing pauses after a failed publish (the hub's own breaker).</summary>
    public static readonly TimeSpan PublishBreak = TimeSpan.FromSeconds(1);

    /// <summary>How long a publish may take before it counts as failed.</summary>
    public static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(1);

    /// <summary>A sender silent this long is forgotten (every live process pings every second).</summary>
    private static readonly TimeSpan SenderTimeout = TimeSpan.FromMinutes(10);

    // Pings travel through the publish queue so that they are numbered in order with the changes.
    private static readonly Outgoing PingItem = new(OutgoingKind.Ping, null, 0);

    private readonly ICacheBackplane? _backplane;
    private readonly string _channel;
    private readonly Guid _sender = Guid.NewGuid();
    private readonly Channel<Outgoing> _publishQueue = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = true });
    private readonly Dictionary<Guid, SenderState> _senders = [];
    private IAsyncDisposable? _backplaneSubscription;
    private int _queued;
    private int _overflowed;
    private long _sequence;
    private long _publishBlockedUntilMs;
    private long _lastEchoUnixMs;
    private long _lostAtUnixMs;

    /// <summary>This process's id in its messages.</summary>
    public Guid SenderId => _sender;

    /// <summary>The channel this cache's messages travel on (it names the stored-key prefix).</summary>
    public string ChannelName => _channel;

    private void Enqueue(string key) => Enqueue(new Outgoing(OutgoingKind.Key, key, 0));

    private void Enqueue(Outgoing item)
    {
        if (Interlocked.Increment(ref _queued) > MaximumQueuedKeys)
        {
            Interlocked.Decrement(ref _queued);
            Volatile.Write(ref _overflowed, 1);
            return;
        }

        _publishQueue.Writer.TryWrite(item);
    }

    /// <summary>Subscribes (retrying while the transport refuses), then pings every <see cref="PingInterval"/>.</summary>
    private async Task BackplaneLoopAsync(CancellationToken stopping)
    {
        if (_memory is not null)
        {
            var failures = 0;
            while (_backplaneSubscription is null)
            {
                try
                {
                    _backplaneSubscription = await _backplane!.SubscribeAsync(_channel, this, stopping).ConfigureAwait(false);
                }
                catch (Exception ex) when (!stopping.IsCancellationRequested)
                {
                    if (failures++ == 0)
                    {
                        Log.InvalidationSourceLost(_logger, _name, "backplane", "cannot subscribe: " + ex.GetType().Name, TimeSpan.Zero);
                    }

                    await Task.Delay(RetryDelay, _time, stopping).ConfigureAwait(false);
                }
            }
        }

        var lastPrune = NowUnixMs();
        while (true)
        {
            _publishQueue.Writer.TryWrite(PingItem);
            await Task.Delay(PingInterval, _time, stopping).ConfigureAwait(false);
            var now = NowUnixMs();
            if (_memory is not null && Volatile.Read(ref _backplaneLive) && now - Interlocked.Read(ref _lastEchoUnixMs) > PingTimeout.TotalMilliseconds)
            {
                BackplaneLost("its own pings stopped coming back");
            }

            if (now - lastPrune > SenderTimeout.TotalMilliseconds)
            {
                lastPrune = now;
                PruneSenders(now);
            }
        }
    }

    /// <summary>
    /// The only publisher: drains the queue into messages in order (a run of changed keys, a run of removed tags, a clear,
    /// a ping: one message each), numbers them, and sends them unless paused.
    /// </summary>
    private async Task PublishLoopAsync(CancellationToken stopping)
    {
        var reader = _publishQueue.Reader;
        var keys = new List<string>(MaximumKeysPerMessage);
        var times = new List<long>(MaximumKeysPerMessage);
        while (await reader.WaitToReadAsync(stopping).ConfigureAwait(false))
        {
            var ping = false;
            var size = 0;
            var kind = OutgoingKind.Key;
            while (keys.Count < MaximumKeysPerMessage && size < MaximumMessageBytes && reader.TryPeek(out var item))
            {
                if (item.Kind == OutgoingKind.Ping)
                {
                    reader.TryRead(out _);
                    ping = true;
                    break;
                }

                if (keys.Count > 0 && item.Kind != kind)
                {
                    break; // another kind of message: this one goes first
                }

                reader.TryRead(out _);
                Interlocked.Decrement(ref _queued);
                kind = item.Kind;
                keys.Add(item.Text ?? string.Empty);
                times.Add(item.AtMs);
                size += InvalidationMessage.SizeOf(item.Text ?? string.Empty) + 8;
                if (kind == OutgoingKind.Clear)
                {
                    break;
                }
            }

            if (Interlocked.Exchange(ref _overflowed, 0) == 1)
            {
                await PublishAsync(InvalidationMessage.Encode(InvalidationKind.All, _sender, ++_sequence, NowUnixMs(), null, 0), 0).ConfigureAwait(false);
            }
            else if (keys.Count > 0)
            {
                var message = kind switch
                {
                    OutgoingKind.Tag => InvalidationMessage.EncodeTags(_sender, ++_sequence, NowUnixMs(), keys, times),
                    OutgoingKind.Clear => InvalidationMessage.EncodeClear(_sender, ++_sequence, NowUnixMs(), times[0]),
                    _ => InvalidationMessage.Encode(InvalidationKind.Keys, _sender, ++_sequence, NowUnixMs(), keys, size - (8 * keys.Count)),
                };
                await PublishAsync(message, kind == OutgoingKind.Clear ? 1 : keys.Count).ConfigureAwait(false);
            }

            keys.Clear();
            times.Clear();
            if (ping)
            {
                await PublishAsync(InvalidationMessage.Encode(InvalidationKind.Ping, _sender, _sequence, NowUnixMs(), null, 0), 0).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Sends one message unless publishing is paused; a failure pauses it for <see cref="PublishBreak"/>. A message not
    /// sent keeps its number, so receivers see the gap at the next message or ping and flush: nothing is silently lost.
    /// </summary>
    private async Task PublishAsync(byte[] message, int keys)
    {
        var now = NowUnixMs();
        if (now < Interlocked.Read(ref _publishBlockedUntilMs))
        {
            return;
        }

        try
        {
            await _backplane!.PublishAsync(_channel, message, _stopping.Token).AsTask()
                .WaitAsync(PublishTimeout, _time, _stopping.Token).ConfigureAwait(false);
            if (keys > 0)
            {
                _metrics.InvalidationsPublished(_name, keys);
            }
        }
        catch (Exception) when (_stopping.IsCancellationRequested)
        {
            // Shutting down: nothing waits for this message any more.
        }
        catch (Exception ex)
        {
            Interlocked.Exchange(ref _publishBlockedUntilMs, now + (long)PublishBreak.TotalMilliseconds);
            _metrics.InvalidationPublishFailed(_name);
            Log.BackplanePublishFailed(_logger, _name, ex.GetType().Name, PublishBreak, ex);
        }
    }

    void ICacheBackplaneListener.OnMessage(ReadOnlySpan<byte> data)
    {
        if (_memory is null)
        {
            return;
        }

        try
        {
            Receive(data);
        }
        catch (Exception ex)
        {
            // Never into the transport's thread; whatever went wrong, memory cannot be sure of anything.
            Log.BackplaneMessageMalformed(_logger, _name, ex.GetType().Name);
            Flush(CacheTags.FlushMalformed);
        }
    }

    private void Receive(ReadOnlySpan<byte> data)
    {
        var now = NowUnixMs();
        if (!InvalidationMessage.TryDecode(data, out var message))
        {
            Log.BackplaneMessageMalformed(_logger, _name, "not a CacheSerial invalidation");
            Flush(CacheTags.FlushMalformed);
            return;
        }

        if (message.Sender == _sender)
        {
            // Our own ping, sent after the last loss: delivery works.
            if (message.Kind == InvalidationKind.Ping && message.SentAtMs >= Interlocked.Read(ref _lostAtUnixMs))
            {
                Interlocked.Exchange(ref _lastEchoUnixMs, now);
                if (!Volatile.Read(ref _backplaneLive))
                {
                    SourceLive(ref _backplaneLive, "backplane");
                }
            }

            return;
        }

        if (IsGap(message, now))
        {
            _metrics.InvalidationGap(_name, CacheTags.SourceBackplane);
            var flushed = Flush(CacheTags.FlushGap);
            Log.InvalidationGap(_logger, _name, flushed);
        }

        switch (message.Kind)
        {
            case InvalidationKind.Keys:
                foreach (var key in message.Keys)
                {
                    _memory!.Remove(key);
                }

                _metrics.InvalidationsReceived(_name, CacheTags.SourceBackplane, message.Keys.Length, (now - message.SentAtMs) / 1000.0);
                break;
            case InvalidationKind.All:
                Flush(CacheTags.FlushSenderReset);
                break;
            case InvalidationKind.Tags:
                for (var i = 0; i < message.Keys.Length; i++)
                {
                    _markers.Removed([message.Keys[i]], message.Times[i]);
                }

                _metrics.InvalidationsReceived(_name, CacheTags.SourceBackplane, message.Keys.Length, (now - message.SentAtMs) / 1000.0);
                break;
            case InvalidationKind.Clear:
                _markers.Cleared(message.Times[0]);
                Flush(CacheTags.FlushClear);
                _metrics.InvalidationsReceived(_name, CacheTags.SourceBackplane, 1, (now - message.SentAtMs) / 1000.0);
                break;
        }
    }

    /// <summary>
    /// Whether messages of this sender were lost before this one: a change numbered other than the last + 1, or a ping
    /// numbered past the last. A sender never heard from counts as complete only if this is its first change or a ping
    /// before any (a process that was already publishing when this one subscribed costs one flush, once).
    /// </summary>
    private bool IsGap(in InvalidationMessage message, long now)
    {
        lock (_senders)
        {
            var known = _senders.TryGetValue(message.Sender, out var state);
            var last = known ? state.Sequence : 0;
            var gap = message.Kind == InvalidationKind.Ping ? message.Sequence != last : message.Sequence != last + 1;
            _senders[message.Sender] = new SenderState(message.Sequence, now);
            return gap;
        }
    }

    private void PruneSenders(long now)
    {
        lock (_senders)
        {
            foreach (var (sender, state) in _senders)
            {
                if (now - state.HeardAtMs > SenderTimeout.TotalMilliseconds)
                {
                    _senders.Remove(sender);
                }
            }
        }
    }

    void ICacheBackplaneListener.OnConnectionLost() => BackplaneLost("the transport lost its connection");

    void ICacheBackplaneListener.OnConnectionRestored()
    {
        // Proven only when a ping sent from now on comes back; send one at once.
        _publishQueue.Writer.TryWrite(PingItem);
    }

    private void BackplaneLost(string why)
    {
        Interlocked.Exchange(ref _lostAtUnixMs, NowUnixMs());
        SourceLost(ref _backplaneLive, "backplane", why);
    }

    private async ValueTask DisposeSubscriptionsAsync()
    {
        foreach (var subscription in new[] { _backplaneSubscription, _trackingSubscription })
        {
            if (subscription is null)
            {
                continue;
            }

            try
            {
                await subscription.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.InvalidationUnsubscribeFailed(_logger, _name, ex); // best effort; nothing depends on it any more
            }
        }
    }

    private readonly record struct SenderState(long Sequence, long HeardAtMs);

    private enum OutgoingKind : byte
    {
        Key,
        Tag,
        Clear,
        Ping,
    }

    /// <summary>One change waiting to be published: a key, a removed tag and its time, a clear and its time, or a ping.</summary>
    private readonly record struct Outgoing(OutgoingKind Kind, string? Text, long AtMs);
}
