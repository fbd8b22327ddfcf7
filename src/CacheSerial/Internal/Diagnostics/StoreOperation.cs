namespace CacheSerial.Internal;

/// <summary>The store call that failed, for <see cref="Log.StoreFailed"/>.</summary>
internal enum StoreOperation
{
    Read,
    Write,
    Remove,
    Refresh,

    /// <summary>Taking the distributed lock (<see cref="ICacheStoreLock.TryAcquireAsync"/>).</summary>
    LockAcquire,

    /// <summary>Releasing it (<see cref="ICacheStoreLock.ReleaseAsync"/>).</summary>
    LockRelease,
}
