package obs

import "runtime/debug"

// BuildVersion reports the module version (buildVersion, git describe's from
// make build, or the toolchain's), the VCS revision (buildRevision, or the
// toolchain's) and the Go version.
func BuildVersion(buildVersion, buildRevision string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v, rev, dirty := info.Main.Version, buildRevision, false
	if buildVersion != "" {
		v = buildVersion
	}
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision" && rev == "":
			rev = s.Value
		case s.Key == "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	switch {
	case rev == "":
		rev = "revision unknown (build with make build)"
	case dirty && buildRevision == "":
		rev += "-dirty"
	}
	return v + " " + rev + " " + info.GoVersion
}
