namespace CacheSerial.Internal;

/// <summary>The backplane of one named cache, when the builder chose one (<c>UseBackplane</c>).</summary>
internal sealed class BackplaneRegistration
{
    public Func<IServiceProvider, ICacheBackplane>? Factory { get; set; }
}
