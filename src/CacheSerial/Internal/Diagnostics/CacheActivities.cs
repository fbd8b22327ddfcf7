using System.Diagnostics;

namespace CacheSerial.Internal;

/// <summary>The activity source <c>CacheSerial</c>: one activity per public operation, listed in docs/observability.md.</summary>
internal static class CacheActivities
{
    public const string SourceName = "CacheSerial";

    public static readonly ActivitySource Source = new(SourceName, typeof(CacheActivities).Assembly.GetName().Version?.ToString());
}
