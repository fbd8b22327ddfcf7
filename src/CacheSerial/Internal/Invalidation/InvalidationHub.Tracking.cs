namespace CacheSerial.Internal;

/// <summary>
/// Server-assisted invalidation: the store's server reports every change of a stored key under the cache's prefix
/// (by any client but this store's own connection, whose writes memory already has). A report names the stored key;
/// the caller's key is the stored key without the prefix. A hashed long key cannot be mapped back, so its report
/// flushes memory (keys longer than <c>MaximumKeyLength</c> should not be hot under tracking alone). A report of a tag
/// marker (or the clear marker) means a removal (or a clear) just now.
/// </summary>
internal sealed partial class InvalidationHub
{
    private readonly ICacheStoreInvalidation? _tracking;
    private IAsyncDisposable? _trackingSubscription;

    // Under _gate: a loss reported before the first arming was marked live (the arming it raced is not trusted).
    private bool _trackingLostWhileStarting;

    private async Task TrackingLoopAsync(CancellationToken stopping)
    {
        var listener = new TrackingListener(this);
        var failures = 0;
        while (true)
        {
            try
            {
                var subscription = await _tracking!.SubscribeAsync(_keys.StoredKeyPrefix, listener, stopping).ConfigureAwait(false);
                if (subscription is null)
                {
                    TrackingUnsupported();
                    return;
                }

                _trackingSubscription = subscription;
                lock (_gate)
                {
                    // Lost while it was being armed: the source arms again and says so (OnConnectionRestored).
                    if (!_trackingLostWhileStarting)
                    {
                        SourceLive(ref _trackingLive, "server-assisted invalidation");
                    }
                }

                return;
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested)
            {
                if (failures++ == 0)
                {
                    Log.InvalidationSourceLost(_logger, _name, "server-assisted invalidation", "cannot subscribe: " + ex.GetType().Name, TimeSpan.Zero);
                }

                await Task.Delay(RetryDelay, _time, stopping).ConfigureAwait(false);
            }
        }
    }

    private void TrackedKeyChanged(string storedKey)
    {
        if (_keys.TryMarker(storedKey, out var tag, out var hashed))
        {
            // A marker changed: its new time is not in the report, so now stands in for it (nothing older survives).
            var now = NowUnixMs();
            if (hashed)
            {
                Flush(CacheTags.FlushHashedKey); // which tag cannot be told: memory and markers start over
            }
            else if (tag is null)
            {
                _markers.Cleared(now);
                Flush(CacheTags.FlushClear);
            }
            else
            {
                _markers.Removed([tag], now);
            }

            _metrics.InvalidationsReceived(_name, CacheTags.SourceTracking, 1, lagSeconds: null);
        }
        else if (_keys.TryCallerKey(storedKey, out var key))
        {
            _memory!.Remove(key);
            _metrics.InvalidationsReceived(_name, CacheTags.SourceTracking, 1, lagSeconds: null);
        }
        else if (_keys.IsHashedKey(storedKey))
        {
            Flush(CacheTags.FlushHashedKey);
        }
    }

    /// <summary>The store's listener: apart from the backplane's, whose connection events mean another source.</summary>
    private sealed class TrackingListener(InvalidationHub hub) : ICacheStoreInvalidationListener
    {
        public void OnKeyChanged(string storedKey) => hub.TrackedKeyChanged(storedKey);

        public void OnAllChanged() => hub.Flush(CacheTags.FlushServer);

        public void OnConnectionLost()
        {
            lock (hub._gate)
            {
                hub._trackingLostWhileStarting |= !hub._trackingLive;
                hub.SourceLost(ref hub._trackingLive, "server-assisted invalidation", "the store's connection was lost");
            }
        }

        public void OnConnectionRestored()
        {
            lock (hub._gate)
            {
                hub._trackingLostWhileStarting = false;
                hub.SourceLive(ref hub._trackingLive, "server-assisted invalidation");
            }
        }
    }
}
