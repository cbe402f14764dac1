/* One-bar calls into a compiled streaming step, at the cost of a C function call.
 *
 * A Python -> numba dispatcher call costs ~230 ns (argument typing and unboxing) before the
 * kernel does anything; an indicator's steady-state step is 5-50 ns of arithmetic. StepCall
 * is a callable holding the address of the indicator's per-bar step compiled by numba as a C
 * function (``features/fast_stream.py``: ``double step(double *pack, const double *vals,
 * int64 n)``) and the address of the stream's pack (history buffer, parameters, state,
 * outputs in one float64 array). ``call(*values)`` converts the bar's values to doubles, calls
 * the step and returns the output as a float, or a tuple of floats for several outputs: no
 * Python frame, no array boxing. The same compiled kernel runs as in the batch form, so values
 * are identical bit for bit.
 *
 * A non-finite value is rejected by the step (state untouched, pack[7] set); StepCall then
 * clears the flag and calls ``on_reject(values_tuple)``, which raises the Python error.
 *
 * An indicator with a ``ts`` input (int ns UTC, e.g. session VWAP) gets the raw timestamp at
 * position ``ts_pos``: StepCall keeps the last ``(value, lo, hi)`` from ``ts_span(ts)`` (the
 * transformed value, the same for every ts in [lo, hi), e.g. a session number) and calls
 * ``ts_span`` only when a timestamp leaves that range, so a bar inside the current session
 * costs a comparison.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_INPUTS 16
#define REJECT_FLAG 7

typedef double (*step_fn)(double *pack, const double *vals, int64_t n);

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    step_fn fn;
    double *pack;
    PyObject *owner;     /* keeps the pack array and the compiled step alive */
    PyObject *on_reject; /* callable(values_tuple) that raises */
    PyObject *ts_span;   /* callable(ts) -> (value, lo, hi), or NULL without a ts input */
    Py_ssize_t n_in;
    Py_ssize_t n_out;
    Py_ssize_t out_off;
    Py_ssize_t ts_pos;
    long long ts_lo, ts_hi; /* the memo: ts in [ts_lo, ts_hi) has the value ts_value */
    double ts_value;
} StepCall;

static int
ts_value(StepCall *self, PyObject *a, double *out)
{
    long long t = PyLong_AsLongLong(a);
    if (t == -1 && PyErr_Occurred()) return -1;
    if (t >= self->ts_lo && t < self->ts_hi) {
        *out = self->ts_value;
        return 0;
    }
    PyObject *r = PyObject_CallOneArg(self->ts_span, a);
    if (r == NULL) return -1;
    double v;
    long long lo, hi;
    int ok = PyArg_ParseTuple(r, "dLL", &v, &lo, &hi);
    Py_DECREF(r);
    if (!ok) return -1;
    if (lo <= t && t < hi) { /* keep only a range that holds this ts */
        self->ts_lo = lo;
        self->ts_hi = hi;
        self->ts_value = v;
    }
    *out = v;
    return 0;
}

static PyObject *
reject(StepCall *self, const double *vals, Py_ssize_t n)
{
    self->pack[REJECT_FLAG] = 0.0;
    PyObject *t = PyTuple_New(n);
    if (t == NULL) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *f = PyFloat_FromDouble(vals[i]);
        if (f == NULL) { Py_DECREF(t); return NULL; }
        PyTuple_SET_ITEM(t, i, f);
    }
    PyObject *res = PyObject_CallOneArg(self->on_reject, t);
    Py_DECREF(t);
    if (res != NULL) {
        Py_DECREF(res);
        PyErr_SetString(PyExc_ValueError, "non-finite input");
    }
    return NULL;
}

static PyObject *
stepcall_vectorcall(PyObject *op, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    StepCall *self = (StepCall *)op;
    Py_ssize_t n = PyVectorcall_NARGS(nargsf);
    double vals[MAX_INPUTS];
    if (kwnames != NULL && PyTuple_GET_SIZE(kwnames) != 0) {
        PyErr_SetString(PyExc_TypeError, "a stream's push takes no keyword arguments");
        return NULL;
    }
    if (n != self->n_in) {
        PyErr_Format(PyExc_TypeError, "expected %zd input value(s), got %zd", self->n_in, n);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *a = args[i];
        if (i == self->ts_pos) {
            if (ts_value(self, a, &vals[i]) < 0) return NULL;
        } else if (PyFloat_CheckExact(a)) {
            vals[i] = PyFloat_AS_DOUBLE(a);
        } else {
            vals[i] = PyFloat_AsDouble(a);
            if (vals[i] == -1.0 && PyErr_Occurred()) return NULL;
        }
    }
    double r = self->fn(self->pack, vals, (int64_t)n);
    if (self->pack[REJECT_FLAG] != 0.0) return reject(self, vals, n);
    if (self->n_out == 1) return PyFloat_FromDouble(r);
    PyObject *t = PyTuple_New(self->n_out);
    if (t == NULL) return NULL;
    const double *o = self->pack + self->out_off;
    for (Py_ssize_t i = 0; i < self->n_out; i++) {
        PyObject *f = PyFloat_FromDouble(o[i]);
        if (f == NULL) { Py_DECREF(t); return NULL; }
        PyTuple_SET_ITEM(t, i, f);
    }
    return t;
}

static int
stepcall_init(PyObject *op, PyObject *args, PyObject *kwds)
{
    StepCall *self = (StepCall *)op;
    unsigned long long fn, pack;
    PyObject *owner, *on_reject, *ts_span = Py_None;
    Py_ssize_t n_in, n_out, out_off, ts_pos = -1;
    if (kwds != NULL && PyDict_GET_SIZE(kwds) != 0) {
        PyErr_SetString(PyExc_TypeError, "StepCall takes positional arguments only");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "KKOOnnn|nO:StepCall", &fn, &pack, &owner, &on_reject, &n_in,
                          &n_out, &out_off, &ts_pos, &ts_span))
        return -1;
    if (fn == 0 || pack == 0) {
        PyErr_SetString(PyExc_ValueError, "null step or pack address");
        return -1;
    }
    if (n_in < 1 || n_in > MAX_INPUTS || n_out < 1 || out_off <= REJECT_FLAG) {
        PyErr_SetString(PyExc_ValueError, "bad StepCall layout");
        return -1;
    }
    if (!PyCallable_Check(on_reject)) {
        PyErr_SetString(PyExc_TypeError, "on_reject must be callable");
        return -1;
    }
    if (ts_pos >= n_in || (ts_pos >= 0 && !PyCallable_Check(ts_span))) {
        PyErr_SetString(PyExc_ValueError, "ts_pos needs a callable ts_span");
        return -1;
    }
    self->fn = (step_fn)(uintptr_t)fn;
    self->pack = (double *)(uintptr_t)pack;
    Py_INCREF(owner);
    Py_XSETREF(self->owner, owner);
    Py_INCREF(on_reject);
    Py_XSETREF(self->on_reject, on_reject);
    self->n_in = n_in;
    self->n_out = n_out;
    self->out_off = out_off;
    self->ts_pos = ts_pos < 0 ? -1 : ts_pos;
    self->ts_lo = 1; /* empty range: the first timestamp asks ts_span */
    self->ts_hi = 0;
    self->ts_value = 0.0;
    if (self->ts_pos >= 0) {
        Py_INCREF(ts_span);
        Py_XSETREF(self->ts_span, ts_span);
    }
    self->vectorcall = stepcall_vectorcall;
    return 0;
}

static int
stepcall_traverse(PyObject *op, visitproc visit, void *arg)
{
    StepCall *self = (StepCall *)op;
    Py_VISIT(self->owner);
    Py_VISIT(self->on_reject);
    Py_VISIT(self->ts_span);
    return 0;
}

static int
stepcall_clear(PyObject *op)
{
    StepCall *self = (StepCall *)op;
    Py_CLEAR(self->owner);
    Py_CLEAR(self->on_reject);
    Py_CLEAR(self->ts_span);
    return 0;
}

static void
stepcall_dealloc(PyObject *op)
{
    PyObject_GC_UnTrack(op);
    stepcall_clear(op);
    Py_TYPE(op)->tp_free(op);
}

static PyTypeObject StepCallType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "nautilus.features._stepcall.StepCall",
    .tp_doc = "StepCall(step_address, pack_address, owner, on_reject, n_in, n_out, out_offset"
              "[, ts_pos, ts_span])",
    .tp_basicsize = sizeof(StepCall),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_VECTORCALL | Py_TPFLAGS_HAVE_GC,
    .tp_vectorcall_offset = offsetof(StepCall, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_new = PyType_GenericNew,
    .tp_init = stepcall_init,
    .tp_traverse = stepcall_traverse,
    .tp_clear = stepcall_clear,
    .tp_dealloc = stepcall_dealloc,
};

static struct PyModuleDef stepcall_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "nautilus.features._stepcall",
    .m_doc = "C-level calls of compiled one-bar streaming steps.",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__stepcall(void)
{
    if (PyType_Ready(&StepCallType) < 0) return NULL;
    PyObject *m = PyModule_Create(&stepcall_module);
    if (m == NULL) return NULL;
    Py_INCREF(&StepCallType);
    if (PyModule_AddObject(m, "StepCall", (PyObject *)&StepCallType) < 0) {
        Py_DECREF(&StepCallType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
