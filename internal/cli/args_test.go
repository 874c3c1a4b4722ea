package cli

import (
	"io"
	"strings"
	"testing"
)

func TestNormalizeArgs(t *testing.T) {
	app := newApp(io.Discard, io.Discard)
	for _, tc := range []struct{ in, want string }{
		// aliases of one flag become one name
		{"engine run -e A=1 --env B=2 -l x=1 --label y=2 img", "engine run --env A=1 --env B=2 --label x=1 --label y=2 img"},
		// short flags with attached values, combined booleans
		{"engine stop -t0 c", "engine stop --time 0 c"},
		{"engine run -dit -p8080:80 img sh", "engine run --detach --interactive --tty --publish 8080:80 img sh"},
		// flags after positional arguments, except for run, create and exec
		{"engine inspect c --format {{.Id}}", "engine inspect --format {{.Id}} c"},
		{"engine rm a -f b", "engine rm --force a b"},
		{"engine run --rm img sh -c echo -n", "engine run --rm img sh -c echo -n"},
		{"engine exec -i c cat -e", "engine exec --interactive c cat -e"},
		{"engine container run -d img ls -l", "engine container run --detach img ls -l"},
		// global flags, values that look like flags, "--", "-" and unknown flags stay
		{"engine --root /r ps -a", "engine --root /r ps --all"},
		{"engine run --stop-timeout -1 img true", "engine run --stop-timeout -1 img true"},
		{"engine logs -- -c", "engine logs -- -c"},
		{"engine cp - c:/x", "engine cp - c:/x"},
		{"engine ps --bogus", "engine ps --bogus"},
		{"engine run --sig-proxy=false img", "engine run --sig-proxy=false img"},
	} {
		got := strings.Join(normalizeArgs(app, strings.Fields(tc.in)), " ")
		if got != tc.want {
			t.Errorf("%s\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
}
